package dev.switchboard.bench.scale;

import dev.switchboard.bench.ScratchDir;
import dev.switchboard.bench.Wrk;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One node agent's cluster DNS against dnsmasq answering the same records, in the same run, on the
 * same CPU: both servers are pinned to one core ({@code taskset -a}, every thread, after they
 * started as they normally do), dnsperf to the other. Then the check that forwarding does not
 * suffer: wrk's keep-alive req/s through the agent's NodePort with DNS idle, with dnsmasq loaded at
 * a fixed rate (the control), and with the agent's DNS loaded at that rate (agent unpinned, as
 * bin/run-local runs it).
 *
 * <p>The agent is a process with bin/run-local's JVM flags and its {@code Main} (so telemetry is
 * on: the CoreDNS-named metrics are recorded). Records: {@value #SERVICES} ClusterIP services with
 * a named port; dnsmasq gets each one's A (and so its PTR) and SRV, and answers nothing else in the
 * zone ({@code --local}). The query mix is a Kubernetes pod's: A and AAAA in pairs (glibc),
 * search-path misses (NXDOMAIN, ndots:5), SRV and PTR. Everything on 127.0.0.0/8; every load is
 * bounded by dnsperf's {@code -l} / wrk's {@code -d} and a hard timeout.
 *
 * <p>Usage: {@code bench/dns [--rounds 5] [--seconds 5] [--check-qps 5000]}; for experiments {@code
 * --agent-jvm-args "..."} (e.g. a JFR recording) and {@code --check-qps 0} (no forwarding check).
 */
public final class DnsBenchmark {
  static final int SERVICES = 100;
  // Addresses of this benchmark's own (other benchmarks on the machine use 127.0.1.1 and friends)
  private static final String NODE = "127.0.7.1";
  private static final String DNSMASQ = "127.0.7.5";
  private static final String BACKEND = "127.0.7.10";
  private static final String SERVER_CPU = "1";
  private static final String CLIENT_CPU = "0";

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> extraAgentJvm;

  private DnsBenchmark(Path dir, List<String> extraAgentJvm) {
    this.dir = dir;
    this.extraAgentJvm = extraAgentJvm;
  }

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(arg(args, "--rounds", "5"));
    int seconds = Integer.parseInt(arg(args, "--seconds", "5"));
    int checkQps = Integer.parseInt(arg(args, "--check-qps", "5000"));
    // For experiments: extra agent JVM flags (e.g. JFR), and 0 to skip the forwarding check.
    String jvm = arg(args, "--agent-jvm-args", "").trim();
    ScratchDir scratch = ScratchDir.create("switchboard-dns-bench", args);
    DnsBenchmark bench =
        new DnsBenchmark(scratch.path(), jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+")));
    Runtime.getRuntime().addShutdownHook(new Thread(bench::close)); // also on Ctrl-C
    try {
      bench.run(rounds, seconds, checkQps);
    } finally {
      bench.close();
    }
    scratch.finished();
  }

  private void run(int rounds, int seconds, int checkQps) throws Exception {
    int backendPort = EtcdProcess.freePort();
    nginx(backendPort);
    int agentDns = EtcdProcess.freePort();
    int dnsmasqPort = EtcdProcess.freePort();
    try (EtcdProcess etcd = EtcdProcess.start();
        ControlPlane cp = ControlPlane.start(ControlPlaneConfig.local(etcd.endpoint(), "/dns"))) {
      Map<String, String> clusterIps = createServices(cp.port(), backendPort);
      int nodePort = Integer.parseInt(clusterIps.remove(NODE_PORT_KEY));
      Files.writeString(dir.resolve("queries.txt"), DnsPerf.queryFile(clusterIps));
      try (JvmProcess agent = agent(cp.port(), agentDns)) {
        String last = "svc-" + (SERVICES - 1) + ".default.svc.cluster.local";
        agent.await(
            "answering DNS",
            () ->
                DnsPerf.digA(NODE, agentDns, last).equals(clusterIps.get("svc-" + (SERVICES - 1))),
            120_000);
        Process dnsmasq = dnsmasq(dnsmasqPort, clusterIps);
        awaitDig(dnsmasq, DNSMASQ, dnsmasqPort, last, clusterIps.get("svc-" + (SERVICES - 1)));
        Map<String, DnsPerf.Target> targets = new LinkedHashMap<>();
        targets.put("dnsmasq 2.90", new DnsPerf.Target(DNSMASQ, dnsmasqPort, dnsmasq.toHandle()));
        targets.put(
            "Switchboard node agent",
            new DnsPerf.Target(NODE, agentDns, ProcessHandle.of(agent.pid()).orElseThrow()));
        DnsPerf perf = new DnsPerf(dir.resolve("queries.txt"), CLIENT_CPU);
        String loadBefore = loadAverage();
        for (DnsPerf.Target t : targets.values()) {
          pin(t.process().pid(), SERVER_CPU);
        }
        String throughput = perf.compare(targets, rounds, seconds);
        for (DnsPerf.Target t : targets.values()) {
          pin(t.process().pid(), "0-" + (Runtime.getRuntime().availableProcessors() - 1));
        }
        String forwarding =
            checkQps <= 0
                ? ""
                : forwardingCheck(
                    perf,
                    targets.get("dnsmasq 2.90"),
                    targets.get("Switchboard node agent"),
                    nodePort,
                    rounds,
                    seconds,
                    checkQps);
        System.out.printf(
            "%nload average before: %s, after: %s (the machine is shared: read the"
                + " ratios, not the absolute figures)%n%n%s%n%s%n",
            loadBefore, loadAverage(), throughput, forwarding);
      }
    }
  }

  /**
   * wrk keep-alive through the agent's NodePort, alternating: DNS idle; dnsperf at {@code qps}
   * against dnsmasq (the control: the same load on the machine, none on the agent); dnsperf at
   * {@code qps} against the agent's own DNS. Agent-loaded over dnsmasq-loaded is what the agent's
   * DNS costs its forwarding; over idle, what the whole load costs on this machine.
   */
  private String forwardingCheck(
      DnsPerf perf,
      DnsPerf.Target dnsmasq,
      DnsPerf.Target agent,
      int nodePort,
      int rounds,
      int seconds,
      int qps)
      throws Exception {
    String url = "http://" + NODE + ":" + nodePort + "/small";
    JvmProcess.awaitTrue("the NodePort answering", () -> answers(NODE, nodePort), 60_000);
    Wrk.run(List.of(), url, 32, 2, false); // warm-up
    Map<String, List<Double>> rps = new LinkedHashMap<>();
    Map<String, List<Double>> answered = new LinkedHashMap<>();
    List<String> loads = List.of("none", "dnsmasq", "agent");
    loads.forEach(
        l -> {
          rps.put(l, new ArrayList<>());
          answered.put(l, new ArrayList<>());
        });
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < loads.size(); i++) {
        String load = loads.get((i + r) % loads.size());
        DnsPerf.Target target =
            load.equals("dnsmasq") ? dnsmasq : load.equals("agent") ? agent : null;
        Process dns = target == null ? null : perf.startRate(target, qps, seconds + 2);
        rps.get(load).add(Wrk.run(List.of(), url, 32, seconds, false).requestsPerSecond());
        if (dns != null) {
          answered.get(load).add(DnsPerf.finish(dns).qps());
        }
      }
    }
    double idle = DnsPerf.median(rps.get("none"));
    double control = DnsPerf.median(rps.get("dnsmasq"));
    double loaded = DnsPerf.median(rps.get("agent"));
    return String.format(
        Locale.ROOT,
        "Forwarding while DNS is loaded: wrk -t1 -c32 keep-alive through"
            + " the agent's NodePort, %d rounds x %d s, medians (agent unpinned, as run-local runs it)%n%n"
            + "| DNS load | req/s | x idle | x dnsmasq loaded |%n|---|---:|---:|---:|%n"
            + "| none | %.0f | 1.00 | |%n"
            + "| dnsperf at %d qps against dnsmasq (answered %.0f qps) | %.0f | %.3f | 1.00 |%n"
            + "| dnsperf at %d qps against the agent's DNS (answered %.0f qps) | %.0f | %.3f | %.3f |%n",
        rounds,
        seconds,
        idle,
        qps,
        DnsPerf.median(answered.get("dnsmasq")),
        control,
        control / idle,
        qps,
        DnsPerf.median(answered.get("agent")),
        loaded,
        loaded / idle,
        loaded / control);
  }

  /** A node agent as bin/run-local starts one: its JVM flags, its Main, DNS on {@code dnsPort}. */
  private JvmProcess agent(int controlPlanePort, int dnsPort) {
    List<String> flags = new ArrayList<>(BenchOptions.parse(new String[0]).agentJvmFlags().get(0));
    flags.addAll(extraAgentJvm);
    return JvmProcess.start(
        "node-agent",
        dir.resolve("node-agent.log"),
        flags,
        "dev.switchboard.agent.Main",
        List.of(
            "--node-name",
            "node-1",
            "--node-address",
            NODE,
            "--control-plane",
            "127.0.0.1:" + controlPlanePort,
            "--cluster-ip-mode",
            "local",
            "--service-cidr",
            "127.96.0.0/16",
            "--dns-port",
            Integer.toString(dnsPort),
            "--admin-port",
            Integer.toString(EtcdProcess.freePort()),
            "--insecure"));
  }

  /** dnsmasq with the same A, PTR and SRV records, authoritative-ish for the zone (no upstream). */
  private Process dnsmasq(int port, Map<String, String> clusterIps) throws IOException {
    StringBuilder conf = new StringBuilder();
    clusterIps.forEach(
        (svc, ip) -> {
          String fqdn = svc + ".default.svc.cluster.local";
          conf.append("host-record=").append(fqdn).append(',').append(ip).append('\n');
          conf.append("srv-host=_http._tcp.").append(fqdn).append(',').append(fqdn).append(",80\n");
        });
    Path file = dir.resolve("dnsmasq.conf");
    Files.writeString(file, conf.toString());
    return start(
        "dnsmasq",
        List.of(
            "dnsmasq",
            "--keep-in-foreground",
            "--conf-file=" + file,
            "--no-resolv",
            "--no-hosts",
            "--listen-address=" + DNSMASQ,
            "--bind-interfaces",
            "--port=" + port,
            "--local=/cluster.local/",
            "--local=/127.in-addr.arpa/",
            "--cache-size=0",
            "--dns-forward-max=1000",
            "--user=root",
            "--pid-file=" + dir.resolve("dnsmasq.pid")));
  }

  private void nginx(int port) throws IOException {
    Path root = Files.createDirectories(dir.resolve("www"));
    Files.writeString(root.resolve("small"), "ok\n");
    for (Path p : List.of(dir, root)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "worker_processes 1;",
            "daemon off;",
            "pid " + dir.resolve("nginx.pid") + ";",
            "error_log " + dir.resolve("nginx-error.log") + " warn;",
            "events { worker_connections 4096; }",
            "http {",
            "  access_log off;",
            "  keepalive_requests 1000000;",
            "  client_body_temp_path " + dir + "/body; proxy_temp_path " + dir + "/proxy;",
            "  fastcgi_temp_path "
                + dir
                + "/fcgi; uwsgi_temp_path "
                + dir
                + "/uwsgi; scgi_temp_path "
                + dir
                + "/scgi;",
            "  server { listen " + BACKEND + ":" + port + "; root " + root + "; }",
            "}",
            ""));
    start("nginx", List.of("nginx", "-c", conf.toString(), "-p", dir.toString()));
  }

  private static final String NODE_PORT_KEY = "";

  /**
   * {@value #SERVICES} ClusterIP services (named port http) → their ClusterIPs, and the NodePort
   * service "bench" (its node port allocated, under the key "").
   */
  private static Map<String, String> createServices(int controlPlanePort, int backendPort) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort).usePlaintext().build();
    try {
      AdminGrpc.AdminBlockingStub admin =
          AdminGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      Map<String, String> ips = new LinkedHashMap<>();
      for (int i = 0; i < SERVICES; i++) {
        Service svc =
            admin.applyService(
                ApplyServiceRequest.newBuilder()
                    .setService(
                        Service.newBuilder()
                            .setMetadata(
                                ObjectMeta.newBuilder().setNamespace("default").setName("svc-" + i))
                            .setSpec(
                                ServiceSpec.newBuilder()
                                    .setType("ClusterIP")
                                    .putSelector("app", "svc-" + i)
                                    .addPorts(
                                        ServicePort.newBuilder()
                                            .setName("http")
                                            .setProtocol("TCP")
                                            .setPort(80)
                                            .setTargetPort(
                                                IntOrString.newBuilder().setIntValue(8080)))))
                    .build());
        ips.put("svc-" + i, svc.getSpec().getClusterIp());
      }
      Service bench =
          admin.applyService(
              ApplyServiceRequest.newBuilder()
                  .setService(
                      Service.newBuilder()
                          .setMetadata(
                              ObjectMeta.newBuilder().setNamespace("default").setName("bench"))
                          .setSpec(
                              ServiceSpec.newBuilder()
                                  .setType("NodePort")
                                  .putSelector("app", "bench")
                                  .addPorts(
                                      ServicePort.newBuilder()
                                          .setPort(80)
                                          .setTargetPort(
                                              IntOrString.newBuilder().setStrValue("http")))))
                  .build());
      ips.put(NODE_PORT_KEY, Integer.toString(bench.getSpec().getPorts(0).getNodePort()));
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(
                  Pod.newBuilder()
                      .setMetadata(
                          ObjectMeta.newBuilder()
                              .setNamespace("default")
                              .setName("bench-1")
                              .putLabels("app", "bench"))
                      .setSpec(
                          PodSpec.newBuilder()
                              .setNodeName("node-1")
                              .addContainers(
                                  Container.newBuilder()
                                      .setName("nginx")
                                      .addPorts(
                                          ContainerPort.newBuilder()
                                              .setName("http")
                                              .setContainerPort(backendPort))))
                      .setStatus(PodStatus.newBuilder().setPodIp(BACKEND).setReady(true)))
              .build());
      return ips;
    } finally {
      channel.shutdownNow();
    }
  }

  private static void awaitDig(Process p, String ip, int port, String name, String want)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!DnsPerf.digA(ip, port, name).equals(want)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException(ip + ":" + port + " does not answer " + name);
      }
      Thread.sleep(100); // another process starting: nothing to await on but polling
    }
  }

  /** Every thread of {@code pid} (and those it starts later) on {@code cpus}. */
  private static void pin(long pid, String cpus) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("taskset", "-a", "-cp", cpus, Long.toString(pid))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("taskset " + cpus + " " + pid + ": " + out);
    }
  }

  private Process start(String name, List<String> command) throws IOException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile())
            .start();
    processes.add(p);
    return p;
  }

  private void close() {
    for (Process p : processes) {
      p.destroy();
    }
  }

  private static String loadAverage() {
    try {
      return String.join(
          " ", Arrays.asList(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    } catch (IOException e) {
      return "?";
    }
  }

  private static boolean answers(String ip, int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(ip, port), 1000);
      s.setSoTimeout(2000);
      s.getOutputStream()
          .write(
              "GET /small HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(
              s.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII)
          .startsWith("HTTP/1.1 200");
    } catch (IOException e) {
      return false;
    }
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
