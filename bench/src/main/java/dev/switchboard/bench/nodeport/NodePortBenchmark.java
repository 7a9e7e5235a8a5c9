package dev.switchboard.bench.nodeport;

import dev.switchboard.bench.ScratchDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * wrk against one nginx "pod", side by side in one run: direct; the NodePort and the EXTERNAL-IP of
 * the cluster {@code bin/run-local} starts (the shipped agents and cloud-lb, flags and telemetry as
 * users get them); an HTTP-mode ({@code appProtocol: http}) NodePort; and the anchor of each:
 * HAProxy tcp, two HAProxies in series, HAProxy {@code mode http}. Extra, labelled rows run the
 * same node agent with other JVM flags (by default the container images' flags). Runs rotate
 * between targets each round so the machine's noise lands on all of them; the table gives medians.
 * Everything binds 127.0.0.0/8 only, and every run is bounded by wrk's duration.
 *
 * <p>Usage: {@code bench/nodeport [--rounds N] [--seconds S] [--warm-up S] [--out FILE]
 * [--scenarios keepalive,newconn,bulk[,bulk1m]] [--targets id,...] [--extra "label=JVM flags"]...
 * [--no-image] [--otlp] [--hold SECONDS]}; each extra row X is two rows, {@code nodeport-X} and
 * {@code nodeport-http-X}; {@code --otlp} adds the extra row {@code otlp}: an agent with
 * bin/run-local's flags exporting traces and metrics by OTLP to a sink in this process (which
 * counts the spans it gets); in {@code --extra} flags, {@code @run-local} stands for the flags
 * {@code bin/run-local} gave its agents, e.g. {@code --extra "no-telemetry=@run-local
 * -Dotel.sdk.disabled=true"}; and {@code --hold SECONDS}: the last starts everything, prints each
 * target's address and server pids, and waits, for profiling by hand. "server CPU µs/req" is the
 * user + system time of the serving processes per request (all of them on a path: cloud-lb and the
 * agents; both HAProxies): steadier than req/s on a noisy machine; "of which JIT" is the part of it
 * the JVMs' JIT compiler threads spent compiling during the measured rounds (a cost of a young
 * process, not of its steady state: {@code --warm-up S}, 2 by default, sets how long each target is
 * warmed up per scenario).
 */
public final class NodePortBenchmark {
  private static final String POD_IP = "127.0.10.1";
  private static final String HAPROXY_IP = "127.0.3.1";
  private static final String HAPROXY_CHAIN_IP = "127.0.3.2";
  private static final String HAPROXY_HTTP_IP = "127.0.3.3";
  private static final int NODE_PORT = 30080;
  private static final int HTTP_NODE_PORT = 30081;

  /**
   * {@code --otlp}: an extra agent with bin/run-local's flags and an OTLP endpoint (a sink in this
   * process), so telemetry with export on is priced in the same run as without.
   */
  private static final String OTLP_ROW = "otlp";

  /**
   * The node agent as the container images run it: Jib's jvmFlags (pom.xml) under the DaemonSet's
   * 512 MiB memory limit (k8s-manifests/base/node-agent.yaml), which the JVM reads as its RAM and,
   * being under 1792 MiB, picks Serial GC for; C2 on (tiered compilation, the default).
   */
  static final String IMAGE_FLAGS =
      "-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError "
          + "-XX:-UsePerfData -XX:MaxRAM=512m -XX:+UseSerialGC";

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
    if (a.has("--otlp")) {
      extras.put(OTLP_ROW, "@run-local");
    }
    for (String e : a.values("--extra")) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--extra: " + e + " (expected: label=JVM flags)");
      }
      extras.put(e.substring(0, eq), e.substring(eq + 1).trim());
    }
    Path repo = Path.of(System.getProperty("bench.repo", ".")).toAbsolutePath().normalize();
    ScratchDir scratch = ScratchDir.create("switchboard-bench-", args);
    // Ctrl-C or a kill (a --hold ended early, say) interrupts the run, which then stops every
    // process it started, as a run's end does; the JVM exits once that is done.
    Thread main = Thread.currentThread();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  main.interrupt();
                  try {
                    stopped.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
    try {
      run(a, repo, scratch, extras, only, rounds, seconds, scenarioIds);
      scratch.finished();
    } finally {
      stopped.countDown();
    }
  }

  /** Starts every target, then measures them (or holds them for {@code --hold}), and stops them. */
  private static void run(
      Args a,
      Path repo,
      ScratchDir scratch,
      Map<String, String> extras,
      String only,
      int rounds,
      int seconds,
      List<String> scenarioIds)
      throws Exception {
    Path dir = scratch.path();
    int podPort = dev.switchboard.testing.EtcdProcess.freePort();
    int haproxyPort = dev.switchboard.testing.EtcdProcess.freePort();
    try (ReferenceServers refs = new ReferenceServers(dir);
        ShippedCluster cluster = ShippedCluster.start(repo, dir);
        ExtraAgents extra = extras.isEmpty() ? null : ExtraAgents.start(dir);
        OtlpSink sink = extras.containsKey(OTLP_ROW) ? OtlpSink.start("127.0.0.1") : null) {
      List<Target> httpExtras = new ArrayList<>();
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
        boolean otlp = e.getKey().equals(OTLP_ROW);
        Process agent =
            extra.start(
                "extra-" + e.getKey(),
                ip,
                flags,
                otlp ? sink.environment() : Map.of(),
                POD_IP,
                podPort);
        String what =
            switch (e.getKey()) {
              case "image" -> "the container images' JVM flags";
              case OTLP_ROW -> "bin/run-local's flags, exporting by OTLP/gRPC to a local sink";
              default -> "other JVM flags";
            };
        targets.add(
            new Target(
                "nodeport-" + e.getKey(),
                "extra row: NodePort, the same agent with " + what + " (" + e.getValue() + ")",
                "http://" + ip + ":" + ExtraAgents.NODE_PORT,
                "haproxy",
                () -> handles(agent)));
        httpExtras.add(
            new Target(
                "nodeport-http-" + e.getKey(),
                "extra row: NodePort of an appProtocol: http port, " + what,
                "http://" + ip + ":" + ExtraAgents.HTTP_NODE_PORT,
                "haproxy-http",
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
      targets.addAll(httpExtras);
      if (only != null) {
        List<String> ids = List.of(only.split(","));
        targets.removeIf(t -> !ids.contains(t.id()));
      }
      for (Target t : targets) {
        Target.awaitHttp(t.base() + "/small", Duration.ofSeconds(60));
        Target.refuseSharedAddress(t);
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
        try {
          Thread.sleep(TimeUnit.SECONDS.toMillis(hold));
        } catch (InterruptedException e) {
          System.out.println("bench: the hold was ended early; stopping everything");
        }
      } else {
        measure(a, targets, scenarioIds, rounds, seconds, sink);
      }
    }
  }

  /** The measured rounds; the table to stdout, and to {@code --out} too. */
  private static void measure(
      Args a,
      List<Target> targets,
      List<String> scenarioIds,
      int rounds,
      int seconds,
      OtlpSink sink)
      throws Exception {
    List<Rounds.Scenario> scenarios =
        Rounds.SCENARIOS.stream().filter(sc -> scenarioIds.contains(sc.id())).toList();
    int warmUp = a.intValue("--warm-up", Rounds.DEFAULT_WARM_UP_SECONDS);
    String report = Rounds.measure(targets, scenarios, rounds, seconds, warmUp);
    if (sink != null) {
      report += "\n" + sink.summary() + "\n";
    }
    System.out.println(report);
    String out = a.value("--out", null);
    if (out != null) {
      Files.writeString(Path.of(out), report, StandardCharsets.UTF_8);
    }
  }

  private static List<ProcessHandle> handles(Process... processes) {
    List<ProcessHandle> handles = new ArrayList<>();
    for (Process p : processes) {
      handles.add(p.toHandle());
    }
    return handles;
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
