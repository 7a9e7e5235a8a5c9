package dev.switchboard.bench.nodeport;

import dev.switchboard.bench.Wrk;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * wrk against one nginx "pod", side by side in one run: direct; the NodePort and the EXTERNAL-IP of
 * the cluster {@code bin/run-local} starts (the shipped agents and cloud-lb, flags and telemetry as
 * users get them); an HTTP-mode ({@code appProtocol: http}) NodePort; and the anchor of each:
 * HAProxy tcp, two HAProxies in series, HAProxy {@code mode http}. Extra, labelled rows run the
 * same node agent with other JVM flags (by default the container images' flags). Runs rotate
 * between targets each round so the machine's noise lands on all of them; the table gives medians.
 * Everything binds 127.0.0.0/8 only, and every run is bounded by wrk's duration.
 *
 * <p>Usage: {@code bench/nodeport [--rounds N] [--seconds S] [--out FILE] [--scenarios
 * keepalive,newconn,bulk[,bulk1m]] [--targets id,...] [--extra "label=JVM flags"]... [--no-image]
 * [--hold SECONDS]}; in {@code --extra} flags, {@code @run-local} stands for the flags {@code
 * bin/run-local} gave its agents, e.g. {@code --extra "no-telemetry=@run-local
 * -Dotel.sdk.disabled=true"}; and {@code --hold SECONDS}: the last starts everything, prints each
 * target's address and server pids, and waits, for profiling by hand. "server CPU µs/req" is the
 * user + system time of the serving processes per request (all of them on a path: cloud-lb and the
 * agents; both HAProxies): steadier than req/s on a noisy machine.
 */
public final class NodePortBenchmark {
  private static final String POD_IP = "127.0.10.1";
  private static final String HAPROXY_IP = "127.0.3.1";
  private static final String HAPROXY_CHAIN_IP = "127.0.3.2";
  private static final String HAPROXY_HTTP_IP = "127.0.3.3";
  private static final int NODE_PORT = 30080;
  private static final int HTTP_NODE_PORT = 30081;
  private static final int WARM_UP_SECONDS = 2;

  /**
   * The node agent as the container images run it: Jib's jvmFlags (pom.xml) under the DaemonSet's
   * 512 MiB memory limit (k8s-manifests/base/node-agent.yaml), which the JVM reads as its RAM and,
   * being under 1792 MiB, picks Serial GC for; C2 on (tiered compilation, the default).
   */
  static final String IMAGE_FLAGS =
      "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError "
          + "-XX:-UsePerfData -XX:MaxRAM=512m -XX:+UseSerialGC";

  private record Scenario(
      String id, String name, String path, int connections, boolean newConnection) {}

  private static final List<Scenario> SCENARIOS =
      List.of(
          new Scenario("keepalive", "keep-alive, small response", "/small", 32, false),
          new Scenario("newconn", "new connection per request, small response", "/small", 32, true),
          new Scenario("bulk", "keep-alive, 64 KiB response", "/64k", 16, false),
          new Scenario("bulk1m", "keep-alive, 1 MiB response", "/1m", 16, false));

  /** One row: what it is, where wrk sends, which row it is divided by, and whose CPU it costs. */
  private record Target(
      String id,
      String description,
      String base,
      String anchor,
      Supplier<List<ProcessHandle>> servers) {}

  private NodePortBenchmark() {}

  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    int rounds = a.intValue("--rounds", 3);
    int seconds = a.intValue("--seconds", 5);
    List<String> scenarioIds = List.of(a.value("--scenarios", "keepalive,newconn,bulk").split(","));
    String only = a.value("--targets", null);
    Map<String, String> extras = new LinkedHashMap<>();
    if (!a.has("--no-image")) {
      extras.put("image", IMAGE_FLAGS);
    }
    for (String e : a.values("--extra")) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--extra: " + e + " (expected: label=JVM flags)");
      }
      extras.put(e.substring(0, eq), e.substring(eq + 1).trim());
    }
    Path repo = Path.of(System.getProperty("bench.repo", ".")).toAbsolutePath().normalize();
    Path dir = Files.createTempDirectory("switchboard-bench-");
    int podPort = dev.switchboard.testing.EtcdProcess.freePort();
    int haproxyPort = dev.switchboard.testing.EtcdProcess.freePort();
    try (ReferenceServers refs = new ReferenceServers(dir);
        ShippedCluster cluster = ShippedCluster.start(repo, dir);
        ExtraAgents extra = extras.isEmpty() ? null : ExtraAgents.start(dir)) {
      Process nginx = refs.nginx(POD_IP, podPort);
      String pod = POD_IP + ":" + podPort;
      Process haproxy = refs.haproxyTcp("haproxy", HAPROXY_IP + ":" + haproxyPort, pod);
      Process chainFirst =
          refs.haproxyTcp(
              "haproxy-chain-1",
              HAPROXY_CHAIN_IP + ":" + haproxyPort,
              HAPROXY_IP + ":" + (haproxyPort + 1));
      Process chainSecond =
          refs.haproxyTcp("haproxy-chain-2", HAPROXY_IP + ":" + (haproxyPort + 1), pod);
      Process haproxyHttp =
          refs.haproxyHttp("haproxy-http", HAPROXY_HTTP_IP + ":" + haproxyPort, pod);
      String externalIp = cluster.applyLoadBalancer("bench", NODE_PORT, "", POD_IP, podPort);
      cluster.applyLoadBalancer("bench-http", HTTP_NODE_PORT, "http", POD_IP, podPort);

      List<Target> targets = new ArrayList<>();
      targets.add(
          new Target(
              "direct", "nginx, the pod itself", "http://" + pod, "direct", () -> handles(nginx)));
      targets.add(
          new Target(
              "haproxy",
              "HAProxy tcp, 1 thread",
              "http://" + HAPROXY_IP + ":" + haproxyPort,
              "haproxy",
              () -> handles(haproxy)));
      targets.add(
          new Target(
              "nodeport",
              "NodePort, node-1 as bin/run-local starts it ("
                  + ShippedCluster.jvmFlags(cluster.nodeAgent("node-1"))
                  + ")",
              "http://127.0.1.1:" + NODE_PORT,
              "haproxy",
              () -> List.of(cluster.nodeAgent("node-1"))));
      int n = 0;
      for (Map.Entry<String, String> e : extras.entrySet()) {
        String ip = "127.0.1." + (20 + n++);
        // "@run-local" stands for the flags bin/run-local gave node-1, e.g. "@run-local
        // -Dotel.sdk.disabled=true"
        String value =
            e.getValue()
                .replace("@run-local", ShippedCluster.jvmFlags(cluster.nodeAgent("node-1")))
                .trim();
        e.setValue(value);
        List<String> flags = value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
        Process agent = extra.start("extra-" + e.getKey(), ip, flags, POD_IP, podPort);
        targets.add(
            new Target(
                "nodeport-" + e.getKey(),
                "extra row: NodePort, the same agent with "
                    + (e.getKey().equals("image")
                        ? "the container images' JVM flags"
                        : "other JVM flags")
                    + " ("
                    + e.getValue()
                    + ")",
                "http://" + ip + ":" + ExtraAgents.NODE_PORT,
                "haproxy",
                () -> handles(agent)));
      }
      targets.add(
          new Target(
              "haproxy-chain",
              "two HAProxies (tcp, 1 thread each) in series",
              "http://" + HAPROXY_CHAIN_IP + ":" + haproxyPort,
              "haproxy-chain",
              () -> handles(chainFirst, chainSecond)));
      targets.add(
          new Target(
              "external-ip",
              "EXTERNAL-IP: cloud-lb ("
                  + ShippedCluster.jvmFlags(cluster.cloudLb())
                  + "), then any node agent",
              "http://" + externalIp,
              "haproxy-chain",
              () -> {
                List<ProcessHandle> all = new ArrayList<>(cluster.nodeAgents());
                all.add(cluster.cloudLb());
                return all;
              }));
      targets.add(
          new Target(
              "haproxy-http",
              "HAProxy mode http, http-reuse always, 1 thread",
              "http://" + HAPROXY_HTTP_IP + ":" + haproxyPort,
              "haproxy-http",
              () -> handles(haproxyHttp)));
      targets.add(
          new Target(
              "nodeport-http",
              "NodePort of an appProtocol: http port, node-1",
              "http://127.0.1.1:" + HTTP_NODE_PORT,
              "haproxy-http",
              () -> List.of(cluster.nodeAgent("node-1"))));
      if (only != null) {
        List<String> ids = List.of(only.split(","));
        targets.removeIf(t -> !ids.contains(t.id()));
      }
      for (Target t : targets) {
        awaitHttp(t.base() + "/small", Duration.ofSeconds(60));
        refuseSharedAddress(t);
      }
      int hold = a.intValue("--hold", 0);
      if (hold > 0) { // for profiling by hand: everything up, nothing measured, bounded
        targets.forEach(
            t ->
                System.out.println(
                    "bench: holding "
                        + t.id()
                        + " "
                        + t.base()
                        + " (servers "
                        + t.servers().get().stream().map(h -> Long.toString(h.pid())).toList()
                        + ")"));
        System.out.println("bench: holding for " + hold + " s");
        Thread.sleep(TimeUnit.SECONDS.toMillis(hold));
        return;
      }
      List<Scenario> scenarios =
          SCENARIOS.stream().filter(sc -> scenarioIds.contains(sc.id())).toList();
      String report = measure(targets, scenarios, rounds, seconds);
      System.out.println(report);
      String out = a.value("--out", null);
      if (out != null) {
        Files.writeString(Path.of(out), report, StandardCharsets.UTF_8);
      }
    }
  }

  private static String measure(
      List<Target> targets, List<Scenario> scenarios, int rounds, int seconds) throws Exception {
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%d rounds of %d s per target and scenario (after %d s of "
                + "warm-up each), medians; machine: %d cores, load average %s at the start; wrk -t1.%n%n",
            rounds,
            seconds,
            WARM_UP_SECONDS,
            Runtime.getRuntime().availableProcessors(),
            loadAverage()));
    table.append("Rows:\n");
    for (Target t : targets) {
      table
          .append("- `")
          .append(t.id())
          .append("`: ")
          .append(t.description())
          .append("; divided by `")
          .append(t.anchor())
          .append("`\n");
    }
    table.append(
        "\n| scenario | target | req/s | p50 ms | p99 ms | MB/s | × anchor | × direct "
            + "| server CPU µs/req | errors |\n");
    table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Scenario scenario : scenarios) {
      // Warm-up, not measured: JIT of each scenario's own paths, page cache, connection state.
      for (Target t : targets) {
        Wrk.run(
            List.of(),
            t.base() + scenario.path(),
            scenario.connections(),
            WARM_UP_SECONDS,
            scenario.newConnection());
      }
      Map<String, List<Wrk.Result>> results = new LinkedHashMap<>();
      targets.forEach(t -> results.put(t.id(), new ArrayList<>()));
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < targets.size(); i++) {
          Target t = targets.get((i + round) % targets.size()); // rotate the order each round
          List<ProcessHandle> servers = t.servers().get();
          long cpuBefore = cpuNanos(servers);
          Wrk.Result r =
              Wrk.run(
                  List.of(),
                  t.base() + scenario.path(),
                  scenario.connections(),
                  seconds,
                  scenario.newConnection());
          long cpu = cpuNanos(servers) - cpuBefore;
          long requests = Math.max(1, Math.round(r.requestsPerSecond() * seconds));
          results.get(t.id()).add(r.withServerCpuMicrosPerRequest(cpu / 1000.0 / requests));
        }
      }
      double direct =
          results.containsKey("direct")
              ? median(results.get("direct"), Wrk.Result::requestsPerSecond)
              : Double.NaN;
      for (Target t : targets) {
        List<Wrk.Result> r = results.get(t.id());
        double rps = median(r, Wrk.Result::requestsPerSecond);
        double anchor =
            results.containsKey(t.anchor())
                ? median(results.get(t.anchor()), Wrk.Result::requestsPerSecond)
                : Double.NaN;
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.0f | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f | %d |%n",
                scenario.name(),
                t.id(),
                rps,
                median(r, Wrk.Result::p50Millis),
                median(r, Wrk.Result::p99Millis),
                median(r, Wrk.Result::megabytesPerSecond),
                rps / anchor,
                rps / direct,
                median(r, Wrk.Result::serverCpuMicrosPerRequest),
                r.stream().mapToLong(Wrk.Result::errors).sum()));
      }
    }
    return table.toString();
  }

  /**
   * Fails when a process that is not one of the target's servers also listens on its address:
   * another {@code bin/run-local} on this machine binds the same 127.0.1.x node and 127.0.2.x
   * load-balancer addresses, and cloud-lb's listeners use SO_REUSEPORT, so its processes would
   * silently take a share of the connections.
   */
  private static void refuseSharedAddress(Target t) throws IOException, InterruptedException {
    java.net.URI uri = java.net.URI.create(t.base());
    String local = uri.getHost() + ":" + (uri.getPort() < 0 ? 80 : uri.getPort());
    Process ss =
        new ProcessBuilder("ss", "-Hltnp", "sport = :" + (uri.getPort() < 0 ? 80 : uri.getPort()))
            .redirectErrorStream(true)
            .start();
    String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ss.waitFor(10, TimeUnit.SECONDS)) {
      ss.destroyForcibly();
      return;
    }
    java.util.Set<Long> ours = new java.util.HashSet<>();
    for (ProcessHandle h : t.servers().get()) {
      ours.add(h.pid());
      h.descendants().forEach(d -> ours.add(d.pid()));
    }
    java.util.regex.Matcher pid = java.util.regex.Pattern.compile("pid=(\\d+)").matcher("");
    for (String line : out.split("\n")) {
      if (!line.contains(" " + local + " ")) {
        continue;
      }
      pid.reset(line);
      while (pid.find()) {
        long p = Long.parseLong(pid.group(1));
        if (!ours.contains(p)) {
          throw new IOException(
              t.id()
                  + ": another process (pid "
                  + p
                  + ", "
                  + ShippedCluster.commandLine(ProcessHandle.of(p).orElse(ProcessHandle.current()))
                      .lines()
                      .findFirst()
                      .orElse("?")
                      .replaceAll("(.{120}).*", "$1...")
                  + ") also listens on "
                  + local
                  + ": stop other Switchboard clusters on this machine first");
        }
      }
    }
  }

  private static List<ProcessHandle> handles(Process... processes) {
    List<ProcessHandle> handles = new ArrayList<>();
    for (Process p : processes) {
      handles.add(p.toHandle());
    }
    return handles;
  }

  /**
   * CPU time (user + system) of processes and their descendants (nginx's worker), in nanoseconds.
   */
  private static long cpuNanos(List<ProcessHandle> processes) {
    long total = 0;
    for (ProcessHandle p : processes) {
      total += p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
      for (ProcessHandle h : (Iterable<ProcessHandle>) p.descendants()::iterator) {
        total += h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
      }
    }
    return total;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  /** Waits (bounded) until {@code url} answers 200. */
  private static void awaitHttp(String url, Duration timeout) throws Exception {
    java.net.URI uri = java.net.URI.create(url);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(
            new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort()), 1000);
        s.setSoTimeout(2000);
        s.getOutputStream()
            .write(
                ("GET " + uri.getPath() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        if (head.startsWith("HTTP/1.1 200")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100); // polling processes we started; bounded by the deadline
    }
    throw new IOException(url + " did not answer 200 within " + timeout.toSeconds() + " s");
  }

  private static double median(
      List<Wrk.Result> results, java.util.function.ToDoubleFunction<Wrk.Result> f) {
    double[] values = results.stream().mapToDouble(f).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  /** {@code --name value} pairs; a name may repeat. */
  private record Args(String[] args) {
    boolean has(String name) {
      return List.of(args).contains(name);
    }

    String value(String name, String def) {
      List<String> v = values(name);
      return v.isEmpty() ? def : v.get(v.size() - 1);
    }

    int intValue(String name, int def) {
      String v = value(name, null);
      return v == null ? def : Integer.parseInt(v);
    }

    List<String> values(String name) {
      List<String> v = new ArrayList<>();
      for (int i = 0; i < args.length - 1; i++) {
        if (args[i].equals(name)) {
          v.add(args[i + 1]);
        }
      }
      return v;
    }
  }
}
