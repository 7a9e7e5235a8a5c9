package dev.switchboard.bench;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * wrk against one nginx backend three ways, side by side in one run: direct, through HAProxy
 * (tcp mode, one thread) and through a Switchboard NodePort (a real node-agent process). Runs
 * alternate between the three so that the machine's noise lands on all of them; the table gives
 * medians. Everything binds 127.0.0.0/8 only, and every run is bounded by wrk's duration.
 *
 * <p>Usage: {@code bench/nodeport [--rounds N] [--seconds S] [--out FILE]}. For experiments:
 * {@code --scenarios keepalive,newconn,bulk[,bulk1m]}, {@code --targets direct,haproxy,switchboard},
 * {@code --agent-jvm-args "..."} (e.g. JFR or GC logging for the agent), and an A/B mode that runs a
 * second agent ("compare", on 127.0.1.2) alongside: {@code --compare-classpath CP} (another build)
 * and/or {@code --compare-jvm-args "..."}. The "server CPU µs/req" column is the user + system time
 * the serving process spent per request: on a shared, noisy machine it is steadier than req/s.
 */
public final class NodePortBenchmark {
  private static final String BACKEND_IP = "127.0.10.1";
  private static final String HAPROXY_IP = "127.0.3.1";
  private static final String NODE_IP = "127.0.1.1";
  /** A second node agent, only with --compare-classpath or --compare-jvm-args (A/B experiments). */
  private static final String COMPARE_NODE_IP = "127.0.1.2";
  private static final int NODE_PORT = 30080;
  private static final int WARM_UP_SECONDS = 2;

  private record Scenario(String id, String name, String path, int connections, boolean newConnection) {}

  private static final List<Scenario> SCENARIOS = List.of(
      new Scenario("keepalive", "keep-alive, small response", "/small", 32, false),
      new Scenario("newconn", "new connection per request, small response", "/small", 32, true),
      new Scenario("bulk", "keep-alive, 64 KiB response", "/64k", 16, false),
      // Not run by default (pass --scenarios ...,bulk1m): for the copy-or-splice question.
      new Scenario("bulk1m", "keep-alive, 1 MiB response", "/1m", 16, false));
  private static final String DEFAULT_SCENARIOS = "keepalive,newconn,bulk";

  private final List<Process> processes = new ArrayList<>();
  /** The process serving each target (nginx for "direct"), to charge it the CPU time of each run. */
  private final Map<String, Process> servers = new LinkedHashMap<>();
  private final Path dir;

  private NodePortBenchmark(Path dir) {
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    int rounds = intArg(args, "--rounds", 3);
    int seconds = intArg(args, "--seconds", 5);
    String out = stringArg(args, "--out", null);
    // For experiments: --scenarios keepalive,newconn,bulk  --targets direct,haproxy,switchboard
    // --agent-jvm-args "-XX:+FlightRecorder -Dx=y" (space-separated)
    List<String> scenarioIds = List.of(stringArg(args, "--scenarios", DEFAULT_SCENARIOS).split(","));
    List<String> targetNames = List.of(stringArg(args, "--targets", "direct,haproxy,switchboard").split(","));
    String jvm = stringArg(args, "--agent-jvm-args", "").trim();
    List<String> agentJvmArgs = jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+"));
    // A/B: --compare-classpath CP and/or --compare-jvm-args "..." start a second agent ("compare")
    // on 127.0.1.2 with that class path (e.g. an older build) and JVM arguments, measured alongside.
    String compareClasspath = stringArg(args, "--compare-classpath", null);
    String compareJvm = stringArg(args, "--compare-jvm-args", null);
    boolean compare = compareClasspath != null || compareJvm != null;
    for (String tool : List.of("wrk", "haproxy", "nginx")) {
      if (!onPath(tool)) {
        System.err.println("bench: '" + tool + "' not found: sudo apt-get install wrk haproxy nginx");
        System.exit(2);
      }
    }
    Path dir = Files.createTempDirectory("switchboard-bench-");
    NodePortBenchmark bench = new NodePortBenchmark(dir);
    try (EtcdProcess etcd = EtcdProcess.start();
         ControlPlane cp = ControlPlane.start(ControlPlaneConfig.local(etcd.endpoint(), "/bench"))) {
      int backendPort = EtcdProcess.freePort();
      int haproxyPort = EtcdProcess.freePort();
      bench.startNginx(backendPort);
      bench.startHaproxy(haproxyPort, backendPort);
      bench.startAgent(cp.port(), "bench-node", NODE_IP, agentJvmArgs, System.getProperty("java.class.path"));
      if (compare) {
        bench.startAgent(cp.port(), "bench-node-compare", COMPARE_NODE_IP,
            compareJvm == null || compareJvm.isBlank() ? List.of() : List.of(compareJvm.trim().split("\\s+")),
            compareClasspath == null ? System.getProperty("java.class.path") : compareClasspath);
      }
      bench.createService(cp.port(), backendPort);
      Map<String, String> targets = new LinkedHashMap<>();
      targets.put("direct", "http://" + BACKEND_IP + ":" + backendPort);
      targets.put("haproxy", "http://" + HAPROXY_IP + ":" + haproxyPort);
      targets.put("switchboard", "http://" + NODE_IP + ":" + NODE_PORT);
      if (compare) {
        targets.put("compare", "http://" + COMPARE_NODE_IP + ":" + NODE_PORT);
        targetNames = new ArrayList<>(targetNames);
        targetNames.add("compare");
      }
      targets.keySet().retainAll(targetNames);
      for (String base : targets.values()) {
        awaitHttp(base + "/small");
      }
      List<Scenario> scenarios = SCENARIOS.stream().filter(sc -> scenarioIds.contains(sc.id())).toList();
      String report = bench.measure(targets, scenarios, rounds, seconds);
      System.out.println(report);
      if (out != null) {
        Files.writeString(Path.of(out), report, StandardCharsets.UTF_8);
      }
    } finally {
      bench.stopAll();
    }
  }

  private String measure(Map<String, String> targets, List<Scenario> scenarios, int rounds, int seconds)
      throws Exception {
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "%d rounds of %d s per target and scenario (after %d s of "
        + "warm-up each), medians; machine: %d cores; server CPU = user + system time of the serving "
        + "process (nginx for direct) per request%n%n", rounds, seconds, WARM_UP_SECONDS,
        Runtime.getRuntime().availableProcessors()));
    table.append("| scenario | target | req/s | p50 ms | p99 ms | MB/s | req/s vs HAProxy | req/s vs direct "
        + "| server CPU µs/req | errors |\n");
    table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    List<String> names = new ArrayList<>(targets.keySet());
    for (Scenario scenario : scenarios) {
      // Warm-up, not measured: the agent's JIT compiles each scenario's own code paths (new
      // connections take other paths than keep-alive ones); page cache, connection state.
      for (String name : names) {
        Wrk.run(targets.get(name) + scenario.path(), scenario.connections(), WARM_UP_SECONDS,
            scenario.newConnection());
      }
      Map<String, List<Wrk.Result>> results = new LinkedHashMap<>();
      names.forEach(n -> results.put(n, new ArrayList<>()));
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < names.size(); i++) {
          String name = names.get((i + round) % names.size()); // rotate the order each round
          Process server = servers.get(name);
          long cpuBefore = cpuNanos(server);
          Wrk.Result r = Wrk.run(targets.get(name) + scenario.path(), scenario.connections(),
              seconds, scenario.newConnection());
          long cpu = cpuNanos(server) - cpuBefore;
          long requests = Math.max(1, Math.round(r.requestsPerSecond() * seconds));
          results.get(name).add(r.withServerCpuMicrosPerRequest(cpu / 1000.0 / requests));
        }
      }
      double haproxy = results.containsKey("haproxy")
          ? median(results.get("haproxy"), Wrk.Result::requestsPerSecond) : Double.NaN;
      double direct = results.containsKey("direct")
          ? median(results.get("direct"), Wrk.Result::requestsPerSecond) : Double.NaN;
      for (String name : names) {
        List<Wrk.Result> r = results.get(name);
        double rps = median(r, Wrk.Result::requestsPerSecond);
        table.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f | %d |%n",
            scenario.name(), name, rps, median(r, Wrk.Result::p50Millis),
            median(r, Wrk.Result::p99Millis), median(r, Wrk.Result::megabytesPerSecond),
            rps / haproxy, rps / direct, median(r, Wrk.Result::serverCpuMicrosPerRequest),
            r.stream().mapToLong(Wrk.Result::errors).sum()));
      }
    }
    return table.toString();
  }

  private void startNginx(int port) throws IOException {
    Path root = Files.createDirectories(dir.resolve("www"));
    byte[] body = new byte[64 * 1024];
    Arrays.fill(body, (byte) 'x');
    Files.write(root.resolve("64k"), body);
    byte[] big = new byte[1024 * 1024];
    Arrays.fill(big, (byte) 'x');
    Files.write(root.resolve("1m"), big);
    Files.writeString(root.resolve("small"), "ok\n");
    // nginx's workers drop root for www-data: let them read the temp dir.
    for (Path p : List.of(dir, root)) {
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, String.join("\n",
        "worker_processes 1;",
        "daemon off;",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("nginx-error.log") + " warn;",
        "events { worker_connections 4096; }",
        "http {",
        "  access_log off;",
        "  keepalive_requests 1000000;",
        "  client_body_temp_path " + dir + "/body; proxy_temp_path " + dir + "/proxy;",
        "  fastcgi_temp_path " + dir + "/fcgi; uwsgi_temp_path " + dir + "/uwsgi; scgi_temp_path " + dir + "/scgi;",
        "  server { listen " + BACKEND_IP + ":" + port + "; root " + root + "; }",
        "}", ""));
    servers.put("direct", start("nginx", List.of("nginx", "-c", conf.toString(), "-p", dir.toString())));
  }

  private void startHaproxy(int port, int backendPort) throws IOException {
    Path conf = dir.resolve("haproxy.cfg");
    Files.writeString(conf, String.join("\n",
        "global",
        "  nbthread 1",
        "  maxconn 8000",
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 30s",
        "  timeout server 30s",
        "listen bench",
        "  bind " + HAPROXY_IP + ":" + port,
        "  server backend " + BACKEND_IP + ":" + backendPort,
        ""));
    servers.put("haproxy", start("haproxy", List.of("haproxy", "-f", conf.toString(), "-db")));
  }

  private void startAgent(int controlPlanePort, String nodeName, String nodeIp, List<String> jvmArgs,
      String classpath) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java,
        "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener"));
    command.addAll(jvmArgs);
    command.addAll(List.of("-cp", classpath,
        "dev.switchboard.agent.Main", "--node-name", nodeName, "--node-address", nodeIp,
        "--control-plane", "127.0.0.1:" + controlPlanePort, "--cluster-ip-mode", "local",
        "--service-cidr", "127.96.0.0/16", "--admin-port", Integer.toString(EtcdProcess.freePort()),
        "--insecure"));
    servers.put(nodeIp.equals(NODE_IP) ? "switchboard" : "compare", start(nodeName, command));
  }

  private void createService(int controlPlanePort, int backendPort) {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort)
        .usePlaintext().build();
    try {
      AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      admin.applyService(ApplyServiceRequest.newBuilder().setService(Service.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("bench"))
          .setSpec(ServiceSpec.newBuilder().setType("NodePort").putSelector("app", "bench")
              .addPorts(ServicePort.newBuilder().setPort(80).setNodePort(NODE_PORT)
                  .setTargetPort(IntOrString.newBuilder().setStrValue("http")))))
          .build());
      admin.applyPod(ApplyPodRequest.newBuilder().setPod(Pod.newBuilder()
          .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("bench-1")
              .putLabels("app", "bench"))
          .setSpec(PodSpec.newBuilder().setNodeName("bench-node").addContainers(Container.newBuilder()
              .setName("nginx").addPorts(ContainerPort.newBuilder().setName("http")
                  .setContainerPort(backendPort))))
          .setStatus(PodStatus.newBuilder().setPodIp(BACKEND_IP).setReady(true)))
          .build());
    } finally {
      channel.shutdownNow();
    }
  }

  private Process start(String name, List<String> command) throws IOException {
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    processes.add(p);
    System.err.println("bench: started " + name + " (pid " + p.pid() + ", log " + log + ")");
    return p;
  }

  /** CPU time (user + system) of a process and its descendants (nginx's worker), in nanoseconds. */
  private static long cpuNanos(Process p) {
    long total = p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    for (ProcessHandle h : (Iterable<ProcessHandle>) p.descendants()::iterator) {
      total += h.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }
    return total;
  }

  private void stopAll() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  /** Waits (bounded) until {@code url} answers 200. */
  private static void awaitHttp(String url) throws Exception {
    java.net.URI uri = java.net.URI.create(url);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 1000);
        s.setSoTimeout(2000);
        s.getOutputStream().write(("GET " + uri.getPath() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
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
    throw new IOException(url + " did not answer 200 within 30 s");
  }

  private static double median(List<Wrk.Result> results, java.util.function.ToDoubleFunction<Wrk.Result> f) {
    double[] values = results.stream().mapToDouble(f).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool)) || Files.isExecutable(Path.of("/usr/sbin", tool))) {
        return true;
      }
    }
    return false;
  }

  private static int intArg(String[] args, String name, int def) {
    String v = stringArg(args, name, null);
    return v == null ? def : Integer.parseInt(v);
  }

  private static String stringArg(String[] args, String name, String def) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return def;
  }
}
