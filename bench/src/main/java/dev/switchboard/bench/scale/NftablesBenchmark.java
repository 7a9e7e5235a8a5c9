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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The nftables data path against the others, with the kernel path really crossed: this JVM runs as
 * the "node" in a network namespace of its own ({@code bench/nftables} starts it with {@code
 * unshare --net}), a client and the pod each in a namespace it makes, joined to the node by veth
 * pairs (client 10.0.0.2 → node 10.0.0.1; node 10.244.0.254 → pod 10.244.0.1). nginx is the pod;
 * wrk runs in the client's namespace. Every address lives inside these namespaces, which vanish
 * with their processes.
 *
 * <p>Targets, alternating in each round: the pod direct (routed through the node), HAProxy on the
 * node (tcp, one thread), the node agent in nftables mode (NodePort, ClusterIP, Local-policy
 * NodePort), the same service through the issue's hand-written minimal ruleset (a table of its own;
 * rows switch tables with nft's dormant flag, so one is live at a time), any candidate tables
 * ({@code BENCH_NFT_VARIANTS}), and, in a second phase after that agent is stopped and its table
 * removed, the node agent in userspace mode (NodePort). Agents are processes with bin/run-local's
 * JVM flags. Ratios are medians of per-round ratios; each row's counter deltas are printed.
 *
 * <p>Usage: {@code bench/nftables [--rounds 3] [--seconds 5] [--scenarios keep-alive,new,64k]
 * [--no-userspace]} (root).
 */
public final class NftablesBenchmark {
  private static final String NODE = "10.0.0.1";
  private static final String POD = "10.244.0.1";
  private static final int NODE_PORT = 30080;
  private static final int LOCAL_NODE_PORT = 30081;
  private static final int HAPROXY_PORT = 8081;

  private record Scenario(String name, String path, int connections, boolean newConnection) {
    String key() {
      return newConnection ? "new" : path.equals("/64k") ? "64k" : "keep-alive";
    }
  }

  /**
   * One row: where wrk goes and which tables are live while it runs ({@code tables}: {@link #OURS},
   * {@link #MINIMAL} or a variant's name; the others are dormant).
   */
  private record Target(String label, String url, String tables) {}

  /** The agent's table live, the hand-written ones dormant (as on a node). */
  private static final String OURS = "switchboard";

  /** Only {@code table ip minimal} live: the issue's hand-written shape for the same service. */
  private static final String MINIMAL = "minimal";

  private static final List<Scenario> ALL_SCENARIOS =
      List.of(
          new Scenario("keep-alive, small", "/small", 32, false),
          new Scenario("new connection per request", "/small", 32, true),
          new Scenario("keep-alive, 64 KiB", "/64k", 16, false));

  private final Path dir;
  private final List<Scenario> scenarios;
  private final List<String> variantTables = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, Map<String, long[]>> counterDeltas = new LinkedHashMap<>();
  private String liveTables = "";
  private final Map<String, String> tablesOf = new java.util.HashMap<>();
  private long podsPid;
  private long clientPid;
  private String agentCpuNote = "";
  private String podCounters = "";

  private NftablesBenchmark(Path dir, List<Scenario> scenarios) {
    this.dir = dir;
    this.scenarios = scenarios;
  }

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(arg(args, "--rounds", "3"));
    int seconds = Integer.parseInt(arg(args, "--seconds", "5"));
    // --scenarios keep-alive,new,64k (default: all three); --no-userspace skips the second phase.
    List<String> wanted = Arrays.asList(arg(args, "--scenarios", "keep-alive,new,64k").split(","));
    List<Scenario> scenarios =
        ALL_SCENARIOS.stream().filter(sc -> wanted.contains(sc.key())).toList();
    boolean userspace = !Arrays.asList(args).contains("--no-userspace");
    ScratchDir scratch = ScratchDir.create("switchboard-nft-bench", args);
    NftablesBenchmark bench = new NftablesBenchmark(scratch.path(), scenarios);
    try {
      bench.run(rounds, seconds, userspace);
    } finally {
      bench.close();
    }
    scratch.finished();
  }

  private void run(int rounds, int seconds, boolean userspacePhase) throws Exception {
    topology();
    nginx();
    haproxy();
    Map<String, Map<String, List<Wrk.Result>>> results = new LinkedHashMap<>();
    try (EtcdProcess etcd = EtcdProcess.start();
        ControlPlane cp =
            ControlPlane.start(
                ControlPlaneConfig.local(etcd.endpoint(), "/nft")
                    .withRanges("10.96.0.0/16", "30000-32767", "10.97.0.0/24")
                    .withListenPort(EtcdProcess.freePort()))) {
      String clusterIp = createService(cp.port());
      String direct = "http://" + POD + ":80";
      String nodePort = "http://" + NODE + ":" + NODE_PORT;
      String service = "http://" + clusterIp + ":80";
      String local = "http://" + NODE + ":" + LOCAL_NODE_PORT;
      List<Target> nftTargets = new ArrayList<>();
      nftTargets.add(new Target("direct (pod, routed by the node)", direct, OURS));
      nftTargets.add(
          new Target(
              "HAProxy 2.6 (tcp, 1 thread) on the node",
              "http://" + NODE + ":" + HAPROXY_PORT,
              OURS));
      nftTargets.add(new Target("Switchboard nftables NodePort", nodePort, OURS));
      nftTargets.add(new Target("Switchboard nftables ClusterIP", service, OURS));
      nftTargets.add(
          new Target("Switchboard nftables NodePort, Local policy (no masquerade)", local, OURS));
      // The same service through the issue's hand-written minimal ruleset (only that table live),
      // and direct with it as those rows' own baseline: what our table costs beyond the NAT
      // itself. (A full rewrite by the agent, "add table", would wake its table: it writes none
      // while nothing changes.)
      nftTargets.add(new Target("direct, minimal table live", direct, MINIMAL));
      nftTargets.add(new Target("minimal ruleset NodePort (masquerade)", nodePort, MINIMAL));
      nftTargets.add(new Target("minimal ruleset ClusterIP", service, MINIMAL));
      nftTargets.add(new Target("minimal ruleset NodePort, no masquerade", local, MINIMAL));
      try (JvmProcess agent = agent(cp.port(), "nftables")) {
        agent.await(
            "nftables rules",
            () ->
                answers(clusterIp + ":80")
                    && answers(NODE + ":" + NODE_PORT)
                    && answers(NODE + ":" + LOCAL_NODE_PORT),
            120_000);
        Files.writeString(
            dir.resolve("switchboard.nft"), output(List.of("nft", "list", "table", "ip", OURS)));
        System.err.println(
            "the agent's table: "
                + dir.resolve("switchboard.nft")
                + " (gone after a clean run unless "
                + ScratchDir.KEEP
                + ")");
        minimalTable(clusterIp);
        variants(nftTargets, direct, nodePort, service, local);
        double cpuBefore = agent.cpuMillis();
        measure(nftTargets, rounds, seconds, results);
        agentCpuNote =
            String.format(
                "node agent (nftables mode) CPU over all the runs of the first phase:"
                    + " %.0f ms (the kernel forwards; the agent only syncs)",
                agent.cpuMillis() - cpuBefore);
        podCounters = counters(podsPid);
      }
      tables(OURS);
      run(List.of("nft", "delete", "table", "ip", "switchboard"), true);
      run(List.of("nft", "delete", "table", "ip", MINIMAL), true);
      for (String variant : variantTables) {
        run(List.of("nft", "delete", "table", "ip", variant), true);
      }
      if (userspacePhase) {
        // The second phase measures direct again: each ratio compares runs of the same minutes.
        List<Target> userspace = new ArrayList<>();
        userspace.add(new Target("direct (phase 2)", direct, ""));
        userspace.add(new Target("Switchboard userspace NodePort", nodePort, ""));
        try (JvmProcess agent = agent(cp.port(), "userspace")) {
          agent.await("userspace listener", () -> answers(NODE + ":" + NODE_PORT), 120_000);
          measure(userspace, rounds, seconds, results);
        }
      }
    }
    print(results, rounds, seconds);
    printCounters();
    System.out.printf(
        "%n%s%n%nthe pod's TCP counters after the first phase (why new connections wait):%n%s%n",
        agentCpuNote, podCounters);
  }

  /**
   * The issue's minimal ruleset for the same service (its ClusterIP, both NodePorts, the one pod),
   * as a table of its own, dormant until a row wants it: {@code ip daddr . meta l4proto . th dport}
   * verdict map, then {@code numgen random mod N} verdict map, then {@code dnat}; the
   * Cluster-policy NodePort marks and {@code masquerade fully-random}s as ours does. No filter
   * hooks, no fib.
   */
  private void minimalTable(String clusterIp) throws IOException, InterruptedException {
    nftScript(
        String.join(
            "\n",
            "table ip " + MINIMAL + " {",
            "  flags dormant",
            "  map services {",
            "    type ipv4_addr . inet_proto . inet_service : verdict",
            "    elements = { " + clusterIp + " . tcp . 80 : goto svc,",
            "      " + NODE + " . tcp . " + NODE_PORT + " : goto ext,",
            "      " + NODE + " . tcp . " + LOCAL_NODE_PORT + " : goto svc }",
            "  }",
            "  chain prerouting {",
            "    type nat hook prerouting priority dstnat; policy accept;",
            "    ip daddr . meta l4proto . th dport vmap @services",
            "  }",
            "  chain ext {",
            "    meta mark set meta mark | 0x4000",
            "    goto svc",
            "  }",
            "  chain svc {",
            "    numgen random mod 1 vmap { 0 : goto ep-1 }",
            "  }",
            "  chain ep-1 {",
            "    meta l4proto tcp dnat to " + POD + ":80",
            "  }",
            "  chain postrouting {",
            "    type nat hook postrouting priority srcnat; policy accept;",
            "    meta mark & 0x4000 != 0 masquerade fully-random",
            "  }",
            "}",
            ""));
  }

  /**
   * Candidate changes to our table as rows of the same run: {@code
   * BENCH_NFT_VARIANTS=NAME=FILE.sed,…} loads, for each, a copy of the agent's live table (as
   * {@code nft list} prints it) renamed to NAME and edited by the sed script FILE.sed, dormant
   * until its rows (direct with it live, and the three service rows) run. None by default.
   */
  private void variants(
      List<Target> targets, String direct, String nodePort, String service, String local)
      throws IOException, InterruptedException {
    String spec = System.getenv().getOrDefault("BENCH_NFT_VARIANTS", "");
    if (spec.isBlank()) {
      return;
    }
    String ours = output(List.of("nft", "list", "table", "ip", OURS));
    for (String v : spec.split(",")) {
      int eq = v.indexOf('=');
      String name = v.substring(0, eq).trim();
      Path in = dir.resolve(name + ".in");
      Files.writeString(
          in, ours.replace("table ip " + OURS + " {", "table ip " + name + " {\n\tflags dormant"));
      String text = output(List.of("sed", "-f", v.substring(eq + 1).trim(), in.toString()));
      Files.writeString(dir.resolve(name + ".nft"), text);
      nftScript(text);
      variantTables.add(name);
      targets.add(new Target("direct, " + name + " live", direct, name));
      targets.add(new Target(name + " NodePort", nodePort, name));
      targets.add(new Target(name + " ClusterIP", service, name));
      targets.add(new Target(name + " NodePort, Local policy", local, name));
    }
  }

  /** Makes {@code live} the only live table ({@code ""}: leave them as they are). */
  private void tables(String live) throws IOException, InterruptedException {
    if (live.isEmpty() || live.equals(liveTables)) {
      return;
    }
    List<String> all = new ArrayList<>(List.of(OURS, MINIMAL));
    all.addAll(variantTables);
    StringBuilder script = new StringBuilder();
    for (String t : all) {
      // "table ip t { }" in a file clears the dormant flag (nft 1.0.6 sends flags 0).
      script
          .append("table ip ")
          .append(t)
          .append(t.equals(live) ? " {\n}\n" : " {\n  flags dormant\n}\n");
    }
    nftScript(script.toString());
    liveTables = live;
  }

  private void nftScript(String script) throws IOException, InterruptedException {
    Path f = dir.resolve("tables.nft");
    Files.writeString(f, script);
    run(List.of("nft", "-f", f.toString()), false);
  }

  private static String output(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(command + " failed: " + out);
    }
    return out;
  }

  /** What each row's runs added to the counters that tell drops and retries apart. */
  private static final List<String> COUNTERS =
      List.of(
          "client TcpExtTCPSynRetrans",
          "client TcpRetransSegs",
          "client TcpAttemptFails",
          "client TcpEstabResets",
          "client TcpExtTW",
          "client TcpActiveOpens",
          "node IpOutNoRoutes",
          "node IpInDiscards",
          "pod TcpPassiveOpens",
          "pod TcpExtTW",
          "pod TcpExtPAWSPassive",
          "pod TcpExtPAWSEstab",
          "pod TcpExtTWRecycled",
          "pod TcpExtTCPTimeWaitOverflow",
          "pod TcpExtListenDrops",
          "pod TcpRetransSegs",
          "node ct insert_failed",
          "node ct drop",
          "node ct early_drop",
          "node ct clashres",
          "node ct invalid",
          "node ct search_restart");

  private long[] snapshot() throws IOException, InterruptedException {
    Map<String, Long> client = nstat(clientPid);
    Map<String, Long> pod = nstat(podsPid);
    Map<String, Long> node = nstat(0);
    Map<String, Long> ct = conntrackStats();
    long[] v = new long[COUNTERS.size()];
    for (int i = 0; i < v.length; i++) {
      String[] parts = COUNTERS.get(i).split(" ");
      Map<String, Long> from =
          switch (parts[0]) {
            case "client" -> client;
            case "pod" -> pod;
            default -> parts[1].equals("ct") ? ct : node;
          };
      v[i] = from.getOrDefault(parts[parts.length - 1], 0L);
    }
    return v;
  }

  private static Map<String, Long> nstat(long pid) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (pid != 0) {
      command.addAll(List.of("nsenter", "-t", Long.toString(pid), "-n"));
    }
    command.addAll(List.of("nstat", "-az"));
    Map<String, Long> m = new java.util.HashMap<>();
    for (String line : output(command).split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 2 && !f[0].startsWith("#")) {
        try {
          m.put(f[0], Long.parseLong(f[1]));
        } catch (NumberFormatException ignored) {
          // a header line
        }
      }
    }
    return m;
  }

  /** This namespace's conntrack statistics, summed over CPUs (/proc/net/stat/nf_conntrack). */
  private static Map<String, Long> conntrackStats() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/net/stat/nf_conntrack"));
    String[] names = lines.get(0).trim().split("\\s+");
    Map<String, Long> m = new java.util.HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i < names.length && i < f.length; i++) {
        m.merge(names[i], Long.parseLong(f[i], 16), Long::sum);
      }
    }
    return m;
  }

  private void printCounters() {
    StringBuilder out =
        new StringBuilder(
            "\ncounters each row's runs added (all scenarios and rounds; zero columns left out)\n\n");
    List<Integer> used = new ArrayList<>();
    for (int i = 0; i < COUNTERS.size(); i++) {
      final int k = i;
      if (counterDeltas.values().stream()
          .flatMap(m -> m.values().stream())
          .anyMatch(d -> d[k] != 0)) {
        used.add(i);
      }
    }
    out.append("| scenario | target |");
    used.forEach(i -> out.append(' ').append(COUNTERS.get(i)).append(" |"));
    out.append("\n|---|---|").append("---|".repeat(used.size())).append('\n');
    counterDeltas.forEach(
        (scenario, rows) ->
            rows.forEach(
                (target, d) -> {
                  out.append("| ").append(scenario).append(" | ").append(target).append(" |");
                  used.forEach(i -> out.append(' ').append(d[i]).append(" |"));
                  out.append('\n');
                }));
    System.out.print(out);
  }

  /** The TCP counters of a namespace that tell refused or stalled handshakes apart (nstat). */
  private static String counters(long pid) {
    try {
      Process p =
          new ProcessBuilder("nsenter", "-t", Long.toString(pid), "-n", "nstat", "-az")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(10, TimeUnit.SECONDS);
      return out.lines()
          .filter(
              l ->
                  l.matches(
                      "(TcpExtPAWS|TcpExtTW|TcpExtListen|TcpExtTCPSynRetrans"
                          + "|TcpExtTCPTimeWaitOverflow|TcpActiveOpens|TcpPassiveOpens|TcpAttemptFails).*"))
          .filter(l -> !l.matches("\\S+\\s+0\\s.*"))
          .collect(java.util.stream.Collectors.joining("\n"));
    } catch (IOException e) {
      return "(nstat: " + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  /** Client, node (this namespace) and pod, joined by veth pairs; IP forwarding on the node. */
  private void topology() throws IOException, InterruptedException {
    run(List.of("ip", "link", "set", "lo", "up"), false);
    run(List.of("sysctl", "-qw", "net.ipv4.ip_forward=1"), false);
    // Connection tracking keeps a closed connection 120 s (TIME_WAIT); at 10,000+ new connections
    // a second from one client the table (262,144 entries, shared by the host) fills within
    // seconds and every target, direct included, stalls on dropped SYNs. 2 s keeps the
    // new-connection scenario about per-connection cost, not table size (this namespace only).
    run(List.of("sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=2"), true);
    podsPid = background(List.of("unshare", "--net", "sleep", "3600")).pid();
    clientPid = background(List.of("unshare", "--net", "sleep", "3600")).pid();
    sh(
        "ip link add pv0 type veth peer name pv1 && ip link set pv1 netns "
            + podsPid
            + " && ip link add sb0 type veth peer name sb1 && ip link set sb1 netns "
            + clientPid
            + " && ip addr add 10.244.0.254/24 dev pv0 && ip addr add 10.244.0.253/24 dev pv0"
            + " && ip link set pv0 up"
            + " && ip addr add "
            + NODE
            + "/24 dev sb0 && ip link set sb0 up");
    sh(
        "nsenter -t "
            + podsPid
            + " -n sh -c 'ip link set lo up && ip link set pv1 up"
            + " && ip addr add "
            + POD
            + "/24 dev pv1 && ip route add default via 10.244.0.254'");
    // One timestamp clock for all of the client's connections (tcp_timestamps=2: no per-connection
    // random offset). The 2 s TIME_WAIT above lets the node's NAT hand a source port to a new
    // connection while the pod still holds TIME_WAIT for it (60 s); with per-connection offsets
    // half of those SYNs carry an older timestamp, the pod rejects them (PAWS) and the client
    // waits 1 s to retry: masqueraded new connections measured 0.10-0.33 x direct. With the
    // kernel's 120 s TIME_WAIT, the NAT never reuses such a port (docs/benchmarks.md).
    sh(
        "nsenter -t "
            + clientPid
            + " -n sh -c 'ip link set lo up && ip link set sb1 up"
            + " && ip addr add 10.0.0.2/24 dev sb1 && ip route add default via "
            + NODE
            + " && sysctl -qw net.ipv4.tcp_timestamps=2'");
  }

  private void nginx() throws IOException, InterruptedException {
    Path root = Files.createDirectories(dir.resolve("www"));
    byte[] body = new byte[64 * 1024];
    Arrays.fill(body, (byte) 'x');
    Files.write(root.resolve("64k"), body);
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
            "  server { listen " + POD + ":80; root " + root + "; }",
            "}",
            ""));
    background(
        List.of(
            "nsenter",
            "-t",
            Long.toString(podsPid),
            "-n",
            "nginx",
            "-c",
            conf.toString(),
            "-p",
            dir.toString()));
  }

  private void haproxy() throws IOException {
    Path conf = dir.resolve("haproxy.cfg");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "global",
            "  nbthread 1",
            "  maxconn 8000",
            "defaults",
            "  mode tcp",
            "  timeout connect 5s",
            "  timeout client 30s",
            "  timeout server 30s",
            "listen bench",
            "  bind " + NODE + ":" + HAPROXY_PORT,
            // Its own source address: HAProxy's connections and the masqueraded NodePort's (from
            // 10.244.0.254) would otherwise share the pod's TIME_WAIT tuples with two timestamp
            // clocks,
            // and the pod refuses such SYNs (PAWS), stalling whichever runs second.
            "  server pod " + POD + ":80 source 10.244.0.253",
            ""));
    background(List.of("haproxy", "-f", conf.toString()));
  }

  /** A node agent as bin/run-local starts one (its JVM flags), in the given proxy mode. */
  private JvmProcess agent(int controlPlanePort, String mode) {
    List<String> flags = BenchOptions.parse(new String[0]).agentJvmFlags().get(0);
    return JvmProcess.start(
        "node-agent-" + mode,
        dir.resolve("node-agent-" + mode + ".log"),
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
            "route",
            "--service-cidr",
            "10.96.0.0/16",
            "--proxy-mode",
            mode,
            "--dns-port",
            "0",
            "--admin-port",
            Integer.toString(EtcdProcess.freePort()),
            "--insecure"));
  }

  private static String createService(int controlPlanePort) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlanePort).usePlaintext().build();
    try {
      AdminGrpc.AdminBlockingStub admin =
          AdminGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      Service svc =
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
                                          .setNodePort(NODE_PORT)
                                          .setTargetPort(
                                              IntOrString.newBuilder().setStrValue("http")))))
                  .build());
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
                              .setNodeName("node-2")
                              .addContainers(
                                  Container.newBuilder()
                                      .setName("nginx")
                                      .addPorts(
                                          ContainerPort.newBuilder()
                                              .setName("http")
                                              .setContainerPort(80))))
                      .setStatus(PodStatus.newBuilder().setPodIp(POD).setReady(true)))
              .build());
      // The same pod again under a Local-policy NodePort (bound to this node, as Local needs): no
      // masquerade, so the pod sees the client's own address.
      admin.applyService(
          ApplyServiceRequest.newBuilder()
              .setService(
                  Service.newBuilder()
                      .setMetadata(
                          ObjectMeta.newBuilder().setNamespace("default").setName("bench-local"))
                      .setSpec(
                          ServiceSpec.newBuilder()
                              .setType("NodePort")
                              .setExternalTrafficPolicy("Local")
                              .putSelector("app", "bench-local")
                              .addPorts(
                                  ServicePort.newBuilder()
                                      .setPort(80)
                                      .setNodePort(LOCAL_NODE_PORT)
                                      .setTargetPort(
                                          IntOrString.newBuilder().setStrValue("http")))))
              .build());
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(
                  Pod.newBuilder()
                      .setMetadata(
                          ObjectMeta.newBuilder()
                              .setNamespace("default")
                              .setName("bench-local-1")
                              .putLabels("app", "bench-local"))
                      .setSpec(
                          PodSpec.newBuilder()
                              .setNodeName("node-1")
                              .addContainers(
                                  Container.newBuilder()
                                      .setName("nginx")
                                      .addPorts(
                                          ContainerPort.newBuilder()
                                              .setName("http")
                                              .setContainerPort(80))))
                      .setStatus(PodStatus.newBuilder().setPodIp(POD).setReady(true)))
              .build());
      return svc.getSpec().getClusterIp();
    } finally {
      channel.shutdownNow();
    }
  }

  private void measure(
      List<Target> targets,
      int rounds,
      int seconds,
      Map<String, Map<String, List<Wrk.Result>>> results)
      throws IOException, InterruptedException {
    List<String> inClient = List.of("nsenter", "-t", Long.toString(clientPid), "-n");
    for (Scenario s : scenarios) {
      for (Target t : targets) {
        tablesOf.put(t.label(), t.tables());
        tables(t.tables());
        System.err.printf("warm-up: %s, %s%n", s.name(), t.label());
        Wrk.run(inClient, t.url() + s.path(), s.connections(), 1, s.newConnection()); // warm up
      }
      for (int r = 0; r < rounds; r++) {
        for (Target t : targets) {
          tables(t.tables());
          long[] before = snapshot();
          Wrk.Result result =
              Wrk.run(inClient, t.url() + s.path(), s.connections(), seconds, s.newConnection());
          System.err.printf(
              "round %d: %s, %s: %.0f req/s%n",
              r + 1, s.name(), t.label(), result.requestsPerSecond());
          long[] after = snapshot();
          long[] sum =
              counterDeltas
                  .computeIfAbsent(s.name(), k -> new LinkedHashMap<>())
                  .computeIfAbsent(t.label(), k -> new long[COUNTERS.size()]);
          for (int i = 0; i < sum.length; i++) {
            sum[i] += after[i] - before[i];
          }
          results
              .computeIfAbsent(s.name(), k -> new LinkedHashMap<>())
              .computeIfAbsent(t.label(), k -> new ArrayList<>())
              .add(result);
        }
      }
    }
  }

  private void print(Map<String, Map<String, List<Wrk.Result>>> results, int rounds, int seconds) {
    System.out.printf(
        "%nwrk -t1 from the client's namespace, %d rounds x %d s, rows alternating within each"
            + " round; req/s, MB/s and p99 are medians over the rounds; x direct is the median of"
            + " each round's ratio to that round's direct row (phase 1: the pod direct with our"
            + " table live), x same-table direct to the direct row with the same table live%n%n"
            + "| scenario | target | req/s | x direct | x same-table direct | MB/s | p99 ms | errors"
            + " |%n|---|---|---|---|---|---|---|---|%n",
        rounds, seconds);
    for (Map.Entry<String, Map<String, List<Wrk.Result>>> s : results.entrySet()) {
      List<Wrk.Result> direct = null;
      for (Map.Entry<String, List<Wrk.Result>> t : s.getValue().entrySet()) {
        if (t.getKey().startsWith("direct (")) { // each phase's own direct runs
          direct = t.getValue();
        }
        List<Wrk.Result> sameTable = direct;
        String tables = tablesOf.getOrDefault(t.getKey(), "");
        for (Map.Entry<String, List<Wrk.Result>> d : s.getValue().entrySet()) {
          if (d.getKey().startsWith("direct")
              && !tables.isEmpty()
              && tables.equals(tablesOf.get(d.getKey()))) {
            sameTable = d.getValue();
          }
        }
        System.out.printf(
            "| %s | %s | %.0f | %.2f | %.2f | %.1f | %.2f | %d |%n",
            s.getKey(),
            t.getKey(),
            median(t.getValue(), Wrk.Result::requestsPerSecond),
            medianRatio(t.getValue(), direct),
            medianRatio(t.getValue(), sameTable),
            median(t.getValue(), Wrk.Result::megabytesPerSecond),
            median(t.getValue(), Wrk.Result::p99Millis),
            t.getValue().stream().mapToLong(Wrk.Result::errors).sum());
      }
    }
  }

  /** The median over rounds of {@code rows}' req/s over {@code direct}'s in the same round. */
  private static double medianRatio(List<Wrk.Result> rows, List<Wrk.Result> direct) {
    if (direct == null || direct.size() != rows.size()) {
      return Double.NaN;
    }
    double[] v = new double[rows.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rows.get(i).requestsPerSecond() / direct.get(i).requestsPerSecond();
    }
    java.util.Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static double median(
      List<Wrk.Result> rs, java.util.function.ToDoubleFunction<Wrk.Result> f) {
    double[] v = rs.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private boolean answers(String hostPort) {
    try {
      Process p =
          new ProcessBuilder(
                  "nsenter",
                  "-t",
                  Long.toString(clientPid),
                  "-n",
                  "bash",
                  "-c",
                  "exec 3<>/dev/tcp/"
                      + hostPort.replace(':', '/')
                      + " && printf 'GET /small HTTP/1.0\\r\\n\\r\\n' >&3"
                      + " && head -c 12 <&3")
              .redirectErrorStream(true)
              .start();
      if (!p.waitFor(3, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
          .startsWith("HTTP/1.1 200");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Process background(List<String> command) throws IOException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(command.get(0) + "-" + processes.size() + ".log").toFile())
            .start();
    processes.add(p);
    return p;
  }

  private static void sh(String script) throws IOException, InterruptedException {
    run(List.of("sh", "-c", script), false);
  }

  private static void run(List<String> command, boolean quiet)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || (p.exitValue() != 0 && !quiet)) {
      throw new IOException(command + " failed: " + out);
    }
  }

  private void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
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
