package dev.switchboard.agent.nft;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.AgentConfig;
import dev.switchboard.agent.ClusterIpMode;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.agent.ProxyMode;
import dev.switchboard.agent.proxier.ListenerKey;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.LoadBalancerStatus;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.ServiceStatus;
import dev.switchboard.v1.SessionAffinityConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Programs {@code table ip switchboard} with {@link NftProxier} and sends real connections through
 * it. Runs ONLY inside the network namespace {@link NftKernelTest} made for it (see there for its
 * addresses): every nft command here changes that namespace's tables only. Prints {@code RESULT
 * ...} lines; exits non-zero on the first expectation that fails.
 *
 * <p>Argument {@code rules}: the data path. {@code agent}: a whole node agent in nftables mode, fed
 * by a real control plane (and etcd), splits its ports between the kernel and the userspace
 * forwarder. {@code refuse}: started without nft and without CAP_NET_ADMIN, the preflight names
 * both.
 */
public final class NftKernelScenario {
  private static final ServiceName WEB = new ServiceName("default", "web");
  private static final ServiceName EMPTY = new ServiceName("default", "empty");
  private static final ServiceName STICKY = new ServiceName("default", "sticky");
  private static final Duration NFT_TIMEOUT = Duration.ofSeconds(20);
  private static final int CONNECT_TIMEOUT_MS = 2000;

  private NftKernelScenario() {}

  public static void main(String[] args) throws Exception {
    try {
      if (args[0].equals("refuse")) {
        try (NodeAgent agent =
            NodeAgent.start(
                AgentConfig.local("node-1", InetAddress.getByName("10.0.0.1"), "127.0.0.1:1")
                    .withProxyMode(ProxyMode.NFTABLES)
                    .withAdminPort(0))) {
          throw new AssertionError("the agent started without nft and CAP_NET_ADMIN");
        } catch (IllegalStateException e) {
          System.out.println("RESULT refuse: " + e.getMessage());
        }
      } else if (args[0].equals("agent")) {
        agent();
      } else if (args[0].equals("leftover")) {
        leftover();
      } else if (args[0].equals("pods")) {
        pods();
      } else if (args[0].equals("forward")) {
        forward(Long.parseLong(args[1]), Long.parseLong(args[2]));
      } else {
        rules();
      }
      System.exit(0);
    } catch (Throwable t) {
      System.out.println("FAILED: " + t);
      t.printStackTrace(System.out);
      System.exit(1);
    }
  }

  private static void rules() throws Exception {
    for (int i = 1; i <= 3; i++) {
      startPod("10.244.0." + i, "pod-" + i);
    }
    String preflight = NftPreflight.check(NFT_TIMEOUT);
    check(preflight.isEmpty(), "preflight inside the namespace: " + preflight);
    NftProxier proxier =
        new NftProxier(NftSession.system(NFT_TIMEOUT, NFT_TIMEOUT), Conntrack.system(NFT_TIMEOUT));
    ServicePlanner planner = new ServicePlanner("node-1", InetAddress.getByName("10.0.0.1"));
    Endpoints pods =
        endpoints(
            "web",
            endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "node-2", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.3", "node-2", true, true, false, endpointPort("http", 8080)));
    Service web =
        service("web", spec("NodePort", "10.96.0.10").addPorts(port("http", "TCP", 80, 30080)));
    Service empty =
        service("empty", spec("NodePort", "10.96.0.11").addPorts(port("http", "TCP", 80, 30081)));
    Service sticky =
        service(
            "sticky",
            spec("ClusterIP", "10.96.0.12")
                .setSessionAffinity("ClientIP")
                .setSessionAffinityConfig(
                    SessionAffinityConfig.newBuilder()
                        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(60)))
                .addPorts(port("http", "TCP", 80, 0)));

    Map<ServiceName, ServicePlan> all = new LinkedHashMap<>();
    all.put(WEB, planner.plan(WEB, new ServiceView(web, pods)));
    all.put(EMPTY, planner.plan(EMPTY, new ServiceView(empty, null)));
    all.put(STICKY, planner.plan(STICKY, new ServiceView(sticky, pods)));
    List<String> errors = proxier.sync(all);
    check(errors.isEmpty(), "sync errors: " + errors + "\n" + listTable());
    System.out.println("RESULT programmed: no errors, " + proxier.programmedPorts() + " ports");

    System.out.println("RESULT clusterip: 10.96.0.10:80 answered " + ask("10.96.0.10", 80));
    System.out.println("RESULT nodeport: 10.0.0.1:30080 answered " + ask("10.0.0.1", 30080));

    Map<String, Integer> counts = new TreeMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int i = 0; i < 3000; i++) {
      check(System.nanoTime() < deadline, "3000 connections within 60 s (done: " + i + ")");
      counts.merge(ask("10.96.0.10", 80), 1, Integer::sum);
    }
    StringBuilder shares = new StringBuilder();
    counts.forEach((pod, n) -> shares.append(' ').append(pod).append('=').append(n));
    check(
        counts.size() == 3 && counts.values().stream().allMatch(n -> n >= 900 && n <= 1100),
        "each pod within 1000 ± 10%:" + shares);
    System.out.println("RESULT balance: 3000 connections:" + shares + " within 900-1100");

    udp(proxier, planner);

    System.out.println("RESULT no-endpoints clusterip: 10.96.0.11:80 " + refusal("10.96.0.11", 80));
    System.out.println(
        "RESULT no-endpoints nodeport: 10.0.0.1:30081 " + refusal("10.0.0.1", 30081));

    String first = ask("10.96.0.12", 80);
    for (int i = 0; i < 99; i++) {
      String next = ask("10.96.0.12", 80);
      check(
          next.equals(first),
          "affinity: connection " + (i + 2) + " reached " + next + ", the first " + first);
    }
    System.out.println(
        "RESULT affinity: 100 connections from one client reached one pod (" + first + ")");

    // An affinity entry expires after the service's timeout without new connections (1 s
    // here): after a pause longer than that, the next connection is picked at random again,
    // so within a few pauses one lands on another pod (each try: 2 in 3).
    ServiceName brief = new ServiceName("default", "brief");
    Service briefSvc =
        service(
            "brief",
            spec("ClusterIP", "10.96.0.13")
                .setSessionAffinity("ClientIP")
                .setSessionAffinityConfig(
                    SessionAffinityConfig.newBuilder()
                        .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(1)))
                .addPorts(port("http", "TCP", 80, 0)));
    errors = proxier.sync(Map.of(brief, planner.plan(brief, new ServiceView(briefSvc, pods))));
    check(errors.isEmpty(), "brief affinity sync: " + errors);
    String pinned = ask("10.96.0.13", 80);
    for (int i = 0; i < 20; i++) {
      check(ask("10.96.0.13", 80).equals(pinned), "a 1 s affinity holds between quick connections");
    }
    int[] pauses = {0};
    await("a connection after the 1 s affinity expired reaches another pod")
        .atMost(Duration.ofSeconds(30))
        .pollDelay(Duration.ofMillis(1500))
        .pollInterval(Duration.ofMillis(1500))
        .until(
            () -> {
              pauses[0]++;
              return !ask("10.96.0.13", 80).equals(pinned);
            });
    System.out.println(
        "RESULT affinity expiry: pinned to "
            + pinned
            + " for 21 quick connections; after "
            + pauses[0]
            + " pause(s) of 1.5 s another pod answered");

    // A resync, and a change to another service (an incremental batch), leave the affinity
    // entries alone: the client keeps its pod.
    errors = proxier.sync(Map.of());
    check(errors.isEmpty(), "resync errors: " + errors);
    Endpoints fewer =
        endpoints(
            "web",
            endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("http", 8080)),
            endpoint("10.244.0.2", "node-2", true, true, false, endpointPort("http", 8080)));
    errors = proxier.sync(Map.of(WEB, planner.plan(WEB, new ServiceView(web, fewer))));
    check(errors.isEmpty(), "change errors: " + errors);
    for (int i = 0; i < 20; i++) {
      String next = ask("10.96.0.12", 80);
      check(
          next.equals(first),
          "affinity after a resync and another change: " + next + ", before " + first);
    }
    for (int i = 0; i < 30; i++) {
      check(
          !ask("10.96.0.10", 80).equals("pod-3"),
          "pod-3 left web's endpoints but still got a connection");
    }
    System.out.println(
        "RESULT affinity kept across a resync and a change to another service; "
            + "the removed endpoint got none of 30 new connections");

    // Someone deletes the table: the next resync puts it back.
    Nft.Result deleted =
        Nft.run(List.of("nft", "delete", "table", "ip", NftRuleset.TABLE), "", NFT_TIMEOUT);
    check(deleted.exitCode() == 0, "nft delete table: " + deleted);
    errors = proxier.sync(Map.of());
    check(errors.isEmpty(), "resync after the table was deleted: " + errors);
    System.out.println(
        "RESULT drift repaired: table deleted by hand, resync restored it, 10.96.0.10:80 answered "
            + ask("10.96.0.10", 80));

    errors = proxier.sync(Map.of(WEB, ServicePlan.NONE));
    check(errors.isEmpty(), "sync errors after delete: " + errors);
    String table = listTable();
    check(
        !table.contains("default/web") && !table.contains("10.96.0.10") && !table.contains("30080"),
        "the deleted service left traces:\n" + table);
    check(table.contains("default/sticky"), "the other services stay:\n" + table);
    System.out.println("RESULT deleted: nothing of default/web left in the table");

    String cleanup = proxier.cleanup();
    check(cleanup.isEmpty(), "cleanup: " + cleanup);
    Nft.Result tables = Nft.run(List.of("nft", "list", "tables"), "", NFT_TIMEOUT);
    check(
        tables.exitCode() == 0 && !tables.output().contains("switchboard"),
        "after cleanup: " + tables);
    System.out.println("RESULT cleanup: no table left");
  }

  private static void agent() throws Exception {
    startPod("10.244.0.1", "pod-1");
    String cidr = "10.96.0.0/16";
    try (EtcdProcess etcd = EtcdProcess.start();
        ControlPlane cp =
            ControlPlane.start(
                ControlPlaneConfig.local(etcd.endpoint(), "/nft")
                    .withRanges(cidr, "30000-32767", ""));
        NodeAgent agent =
            NodeAgent.start(
                AgentConfig.local(
                        "node-1", InetAddress.getByName("10.0.0.1"), "127.0.0.1:" + cp.port())
                    .withClusterIps(ClusterIpMode.ROUTE, cidr)
                    .withProxyMode(ProxyMode.NFTABLES)
                    .withAdminPort(EtcdProcess.freePort()))) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", cp.port()).usePlaintext().build();
      try {
        AdminGrpc.AdminBlockingStub admin = AdminGrpc.newBlockingStub(channel);
        Service l4 =
            admin
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .applyService(
                    ApplyServiceRequest.newBuilder().setService(agentService("l4", "")).build());
        Service http =
            admin
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .applyService(
                    ApplyServiceRequest.newBuilder()
                        .setService(agentService("traced", "http"))
                        .build());
        admin
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .applyPod(
                ApplyPodRequest.newBuilder()
                    .setPod(
                        Pod.newBuilder()
                            .setMetadata(
                                ObjectMeta.newBuilder()
                                    .setNamespace("default")
                                    .setName("web-1")
                                    .putLabels("app", "web"))
                            .setSpec(
                                PodSpec.newBuilder()
                                    .setNodeName("node-1")
                                    .addContainers(
                                        Container.newBuilder()
                                            .setName("main")
                                            .addPorts(
                                                ContainerPort.newBuilder()
                                                    .setName("http")
                                                    .setContainerPort(8080))))
                            .setStatus(
                                PodStatus.newBuilder().setPodIp("10.244.0.1").setReady(true)))
                    .build());
        int nodePort = l4.getSpec().getPorts(0).getNodePort();
        await("agent programs both services")
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    agent.ready()
                        && listTable().contains("default/l4")
                        // the pod, not only the service: programmed before its endpoint arrives,
                        // the port rejects (seen under load: the services and the pod are applied
                        // one after the other, and may reach the agent in two syncs)
                        && listTable().contains("10.244.0.1")
                        && !agent.listeners().isEmpty());
        check(agent.lastError().isEmpty(), "agent error: " + agent.lastError());
        String l4Ip = l4.getSpec().getClusterIp();
        String httpIp = http.getSpec().getClusterIp();
        System.out.println(
            "RESULT agent kernel: "
                + l4Ip
                + ":80 answered "
                + ask(l4Ip, 80)
                + ", 10.0.0.1:"
                + nodePort
                + " answered "
                + ask("10.0.0.1", nodePort));
        check(
            agent.listeners().keySet().stream()
                .noneMatch(k -> k.address().getHostAddress().equals(l4Ip) || k.port() == nodePort),
            "no userspace listener for the kernel's ports: " + agent.listeners().keySet());
        ListenerKey httpKey = new ListenerKey(Protocol.TCP, InetAddress.getByName(httpIp), 80);
        check(
            agent.listeners().containsKey(httpKey),
            "the http port is a userspace listener: " + agent.listeners().keySet());
        check(
            !listTable().contains("default/traced"),
            "the http port is not in the table:\n" + listTable());
        System.out.println(
            "RESULT agent userspace: "
                + httpIp
                + ":80 (appProtocol http) answered "
                + ask(httpIp, 80)
                + " through the forwarder, not in the table");
        String status = httpGet(agent.adminAddress(), "/statusz");
        check(
            status.contains("default/l4:http ClusterIP TCP " + l4Ip + ":80 nftables\n")
                && status.contains(
                    "default/l4:http NodePort TCP 10.0.0.1:" + nodePort + " nftables\n")
                && status.contains(
                    "default/traced:http ClusterIP TCP "
                        + httpIp
                        + ":80 userspace (appProtocol http)\n"),
            "/statusz names each port's data path:\n" + status);
        System.out.println(
            "RESULT agent statusz: each port's data path listed, with why it needs the proxy");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * A table an agent in nftables mode left behind, then {@code node-agent --proxy-mode userspace}
   * started (its real command line, a process of its own, in this namespace): it deletes the table
   * and says so; one in local mode (agents sharing a host) leaves it. Then, with no table and then
   * without nft on its PATH, it says nothing about nft.
   */
  private static void leftover() throws Exception {
    NftProxier proxier = new NftProxier(Nft.system(NFT_TIMEOUT));
    ServicePlanner planner = new ServicePlanner("node-1", InetAddress.getByName("10.0.0.1"));
    Service web =
        service("web", spec("NodePort", "10.96.0.10").addPorts(port("http", "TCP", 80, 30080)));
    Endpoints pods =
        endpoints(
            "web", endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("http", 8080)));
    List<String> errors = proxier.sync(Map.of(WEB, planner.plan(WEB, new ServiceView(web, pods))));
    check(errors.isEmpty(), "leftover sync: " + errors);
    check(listTable().contains("default/web"), "the nftables-mode table is there");

    // In local mode (agents sharing a host, as bin/run-local's) no agent owns the host's tables.
    String local = userspaceAgentSays(System.getenv("PATH"), "local");
    check(
        listTable().contains("default/web") && !local.contains("table ip switchboard"),
        "a local-mode agent must leave the table alone:\n" + local);

    String said = userspaceAgentSays(System.getenv("PATH"));
    Nft.Result tables = Nft.run(List.of("nft", "list", "tables"), "", NFT_TIMEOUT);
    check(
        tables.exitCode() == 0 && !tables.output().contains(NftRuleset.TABLE),
        "after a userspace-mode start the table should be gone: " + tables + "\n" + said);
    String line =
        said.lines()
            .filter(l -> l.contains("userspace mode: deleted table ip switchboard"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no log line of the deletion:\n" + said));
    System.out.println(
        "RESULT leftover: a userspace-mode agent deleted the table and logged: "
            + line.substring(line.indexOf("userspace mode:")));

    String again = userspaceAgentSays(System.getenv("PATH"));
    check(!again.contains("table ip switchboard"), "no table, nothing said:\n" + again);
    String noNft = userspaceAgentSays("/nonexistent");
    check(
        !noNft.contains("nft") && !noNft.contains("table ip switchboard"),
        "without nft nothing is said about it:\n" + noNft);
    System.out.println(
        "RESULT leftover quiet: with no table, and without nft, the agent says nothing about it");
  }

  /**
   * Starts {@code node-agent --proxy-mode userspace} in route mode, as a node's agent (control
   * plane unreachable: it only has to start) with {@code path} as its PATH, waits for its "started"
   * line, stops it; its output.
   */
  private static String userspaceAgentSays(String path) throws Exception {
    return userspaceAgentSays(path, "route");
  }

  private static String userspaceAgentSays(String path, String clusterIpMode) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                javaBin,
                "-Xmx64m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.switchboard.agent.Main",
                "--node-name",
                "node-1",
                "--node-address",
                "127.0.0.1",
                "--control-plane",
                "127.0.0.1:1",
                "--proxy-mode",
                "userspace",
                "--cluster-ip-mode",
                clusterIpMode,
                "--admin-port",
                "0",
                "--dns-port",
                "0",
                "--insecure")
            .redirectErrorStream(true);
    builder.environment().put("PATH", path);
    Process agent = builder.start();
    StringBuilder out = new StringBuilder();
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      String line;
      while ((line = lines.readLine()) != null) {
        out.append(line).append('\n');
        if (line.contains("node agent node-1 on 127.0.0.1 started")) {
          break;
        }
        check(System.nanoTime() < deadline, "the agent did not start within 60 s:\n" + out);
      }
      check(line != null, "the agent exited:\n" + out);
    } finally {
      agent.destroy();
      if (!agent.waitFor(20, TimeUnit.SECONDS)) {
        agent.destroyForcibly();
      }
    }
    return out.toString();
  }

  /**
   * A UDP ClusterIP: one client socket keeps its flow (and so its pod) while the pod stays; when
   * that pod leaves the endpoints, its next datagram reaches another pod, because the stale
   * conntrack entry was deleted (the pod itself still answers, so only that shows it).
   */
  private static void udp(NftProxier proxier, ServicePlanner planner) throws Exception {
    for (int i = 1; i <= 2; i++) {
      startUdpPod("10.244.0." + i, "pod-" + i);
    }
    ServiceName dns = new ServiceName("default", "dns");
    Service service =
        service("dns", spec("ClusterIP", "10.96.0.30").addPorts(port("dns", "UDP", 53, 0)));
    Endpoints both =
        endpoints(
            "dns",
            endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("dns", 5353)),
            endpoint("10.244.0.2", "node-1", true, true, false, endpointPort("dns", 5353)));
    List<String> errors =
        proxier.sync(Map.of(dns, planner.plan(dns, new ServiceView(service, both))));
    check(errors.isEmpty(), "udp sync: " + errors);
    try (java.net.DatagramSocket client =
        new java.net.DatagramSocket(new InetSocketAddress("10.0.0.1", 0))) {
      client.setSoTimeout(CONNECT_TIMEOUT_MS);
      String first = udpAsk(client);
      for (int i = 0; i < 5; i++) {
        check(udpAsk(client).equals(first), "one UDP flow stays on its pod");
      }
      String remaining = first.equals("pod-1") ? "10.244.0.2" : "10.244.0.1";
      Endpoints left =
          endpoints(
              "dns", endpoint(remaining, "node-1", true, true, false, endpointPort("dns", 5353)));
      errors = proxier.sync(Map.of(dns, planner.plan(dns, new ServiceView(service, left))));
      check(errors.isEmpty(), "udp sync after removal: " + errors);
      String next = udpAsk(client);
      check(
          !next.equals(first),
          "after " + first + " left the endpoints the same flow still reached it");
      System.out.println(
          "RESULT udp: one flow stayed on "
              + first
              + "; after it left the endpoints the flow's "
              + "next datagram reached "
              + next);
    }
  }

  private static void startUdpPod(String ip, String name) throws IOException {
    java.net.DatagramSocket socket = new java.net.DatagramSocket(new InetSocketAddress(ip, 5353));
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[512];
              byte[] reply = name.getBytes(StandardCharsets.US_ASCII);
              while (true) {
                try {
                  java.net.DatagramPacket in = new java.net.DatagramPacket(buffer, buffer.length);
                  socket.receive(in);
                  socket.send(
                      new java.net.DatagramPacket(reply, reply.length, in.getSocketAddress()));
                } catch (IOException e) {
                  return;
                }
              }
            },
            name + "-udp");
    t.setDaemon(true);
    t.start();
  }

  private static String udpAsk(java.net.DatagramSocket client) throws IOException {
    byte[] question = "who".getBytes(StandardCharsets.US_ASCII);
    client.send(
        new java.net.DatagramPacket(
            question, question.length, new InetSocketAddress("10.96.0.30", 53)));
    java.net.DatagramPacket answer = new java.net.DatagramPacket(new byte[512], 512);
    client.receive(answer);
    return new String(answer.getData(), 0, answer.getLength(), StandardCharsets.US_ASCII);
  }

  /**
   * In the pods' namespace: three pods that answer with their name and the address they see the
   * client at, until the parent closes stdin.
   */
  private static void pods() throws IOException {
    for (int i = 1; i <= 3; i++) {
      startPod("10.244.0." + i, "pod-" + i, true);
    }
    System.out.println("READY");
    System.out.flush();
    System.in.readAllBytes();
  }

  /**
   * Traffic that crosses the node: a client in its own namespace (10.0.0.2, through veth sb1 ↔ sb0
   * 10.0.0.1) reaches pods in theirs (10.244.0.1-3 behind veth pv1 ↔ pv0 10.244.0.254), so packets
   * take prerouting, forward and postrouting, and replies come back through the node.
   */
  private static void forward(long podsPid, long clientPid) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process pods =
        new ProcessBuilder(
                "nsenter",
                "-t",
                Long.toString(podsPid),
                "-n",
                javaBin,
                "-Xmx64m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                NftKernelScenario.class.getName(),
                "pods")
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader podOut =
          new BufferedReader(new InputStreamReader(pods.getInputStream(), StandardCharsets.UTF_8));
      String line = podOut.readLine();
      check("READY".equals(line), "pods' namespace: expected READY, got " + line);

      NftProxier proxier = new NftProxier(Nft.system(NFT_TIMEOUT));
      ServicePlanner planner = new ServicePlanner("node-1", InetAddress.getByName("10.0.0.1"));
      Endpoints pods3 =
          endpoints(
              "web",
              endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("http", 8080)),
              endpoint("10.244.0.2", "node-2", true, true, false, endpointPort("http", 8080)),
              endpoint("10.244.0.3", "node-2", true, true, false, endpointPort("http", 8080)));
      Endpoints elsewhere =
          endpoints(
              "web",
              endpoint("10.244.0.2", "node-2", true, true, false, endpointPort("http", 8080)));
      ServiceName cluster = new ServiceName("default", "cluster");
      ServiceName local = new ServiceName("default", "local");
      ServiceName remote = new ServiceName("default", "remote");
      Map<ServiceName, ServicePlan> all = new LinkedHashMap<>();
      Service lb =
          service(
                  "cluster",
                  spec("LoadBalancer", "10.96.0.10").addPorts(port("http", "TCP", 80, 30080)))
              .toBuilder()
              .setStatus(
                  ServiceStatus.newBuilder()
                      .setLoadBalancer(
                          LoadBalancerStatus.newBuilder()
                              .addIngress(LoadBalancerIngress.newBuilder().setIp("203.0.113.7"))))
              .build();
      all.put(cluster, planner.plan(cluster, new ServiceView(lb, pods3)));
      all.put(
          local,
          planner.plan(
              local,
              new ServiceView(
                  service(
                      "local",
                      spec("NodePort", "10.96.0.20")
                          .setExternalTrafficPolicy("Local")
                          .addPorts(port("http", "TCP", 80, 30090))),
                  pods3)));
      all.put(
          remote,
          planner.plan(
              remote,
              new ServiceView(
                  service(
                      "remote",
                      spec("NodePort", "10.96.0.21")
                          .setExternalTrafficPolicy("Local")
                          .addPorts(port("http", "TCP", 80, 30091))),
                  elsewhere)));
      List<String> errors = proxier.sync(all);
      check(errors.isEmpty(), "sync errors: " + errors);

      String masqueraded = fromClient(clientPid, "10.0.0.1", 30080);
      check(
          masqueraded.matches("pod-\\d from 10\\.244\\.0\\.254"),
          "Cluster policy NodePort: the pod should see the node's address, saw: " + masqueraded);
      System.out.println(
          "RESULT forward cluster nodeport: client 10.0.0.2 -> 10.0.0.1:30080 answered "
              + masqueraded
              + " (masqueraded)");
      String viaLb = fromClient(clientPid, "203.0.113.7", 80);
      check(viaLb.matches("pod-\\d from 10\\.244\\.0\\.254"), "LoadBalancer IP: " + viaLb);
      System.out.println(
          "RESULT forward loadbalancer ip: client 10.0.0.2 -> 203.0.113.7:80 answered "
              + viaLb
              + " (masqueraded)");
      String kept = fromClient(clientPid, "10.0.0.1", 30090);
      check(
          kept.equals("pod-1 from 10.0.0.2"),
          "ETP Local NodePort: this node's pod, seeing the client: " + kept);
      System.out.println(
          "RESULT forward local nodeport: client 10.0.0.2 -> 10.0.0.1:30090 answered "
              + kept
              + " (client address kept)");
      String refused = fromClient(clientPid, "10.0.0.1", 30091);
      check(refused.contains("Connection refused"), "ETP Local without a local pod: " + refused);
      System.out.println("RESULT forward local nodeport without local pods: refused");
      String clusterIp = fromClient(clientPid, "10.96.0.10", 80);
      check(
          clusterIp.matches("pod-\\d from 10\\.0\\.0\\.2"),
          "ClusterIP from another host: " + clusterIp);
      System.out.println(
          "RESULT forward clusterip: client 10.0.0.2 -> 10.96.0.10:80 answered " + clusterIp);

      hairpin(proxier, planner, podsPid);

      // The agent's own command line removes the table (a process of its own, in this namespace).
      Process cleanup =
          new ProcessBuilder(
                  javaBin,
                  "-Xmx64m",
                  "-XX:TieredStopAtLevel=1",
                  "-cp",
                  System.getProperty("java.class.path"),
                  "dev.switchboard.agent.Main",
                  "--cleanup")
              .redirectErrorStream(true)
              .start();
      String said =
          new String(cleanup.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      check(
          cleanup.waitFor(60, TimeUnit.SECONDS) && cleanup.exitValue() == 0,
          "node-agent --cleanup: " + said);
      Nft.Result tables = Nft.run(List.of("nft", "list", "tables"), "", NFT_TIMEOUT);
      check(
          tables.exitCode() == 0 && !tables.output().contains(NftRuleset.TABLE),
          "after --cleanup: " + tables);
      System.out.println(
          "RESULT forward cleanup: node-agent --cleanup said \"" + said + "\"; no table left");
    } finally {
      pods.getOutputStream().close();
      pods.waitFor(10, TimeUnit.SECONDS);
      pods.destroyForcibly();
      ProcessHandle.of(podsPid).ifPresent(ProcessHandle::destroy);
      ProcessHandle.of(clientPid).ifPresent(ProcessHandle::destroy);
    }
  }

  /**
   * Hairpin: pod-1 (10.244.0.1, the pods' namespace's first address, so its connections' source)
   * reaches its own service's ClusterIP and NodePort and is the endpoint picked. Without masquerade
   * the packet would come back to it from its own address (dropped as a martian); with the {@code
   * @hairpin} entry the node masquerades it, so pod-1 sees the node's address. The NodePort has
   * policy Local, so nothing but {@code @hairpin} marks it; with that entry removed by hand the
   * same connection gets no answer.
   */
  private static void hairpin(NftProxier proxier, ServicePlanner planner, long podsPid)
      throws Exception {
    ServiceName self = new ServiceName("default", "self");
    Service service =
        service(
            "self",
            spec("NodePort", "10.96.0.40")
                .setExternalTrafficPolicy("Local")
                .addPorts(port("http", "TCP", 80, 30100)));
    Endpoints onlyPod1 =
        endpoints(
            "self",
            endpoint("10.244.0.1", "node-1", true, true, false, endpointPort("http", 8080)));
    List<String> errors =
        proxier.sync(Map.of(self, planner.plan(self, new ServiceView(service, onlyPod1))));
    check(errors.isEmpty(), "hairpin sync: " + errors);
    String viaClusterIp = fromClient(podsPid, "10.96.0.40", 80);
    check(
        viaClusterIp.equals("pod-1 from 10.244.0.254"),
        "hairpin ClusterIP: pod-1 reaching itself should see the node's address: " + viaClusterIp);
    String viaNodePort = fromClient(podsPid, "10.244.0.254", 30100);
    check(
        viaNodePort.equals("pod-1 from 10.244.0.254"),
        "hairpin NodePort (policy Local): pod-1 reaching itself should see the node's address: "
            + viaNodePort);
    System.out.println(
        "RESULT forward hairpin: pod-1 10.244.0.1 -> 10.96.0.40:80 answered "
            + viaClusterIp
            + "; -> 10.244.0.254:30100 (policy Local) answered "
            + viaNodePort
            + " (masqueraded)");
    String entry = NftTable.hairpin("10.244.0.1");
    String table = listTable();
    check(table.contains(entry), "the @hairpin set holds " + entry + ":\n" + table);
    Nft.Result removed =
        Nft.run(
            List.of("nft", "-f", "-"),
            "delete element ip " + NftRuleset.TABLE + " hairpin { " + entry + " }\n",
            NFT_TIMEOUT);
    check(removed.exitCode() == 0, "removing the hairpin entry by hand: " + removed);
    String without = fromClient(podsPid, "10.96.0.40", 80, 2);
    check(
        !without.startsWith("pod-"), "without the @hairpin entry pod-1 still answered: " + without);
    System.out.println(
        "RESULT forward hairpin control: without its @hairpin entry the same connection got no answer");
    errors = proxier.sync(Map.of(self, ServicePlan.NONE));
    check(errors.isEmpty(), "hairpin service deleted: " + errors);
  }

  private static String fromClient(long clientPid, String ip, int port)
      throws IOException, InterruptedException {
    return fromClient(clientPid, ip, port, 5);
  }

  /**
   * One connection from the namespace of {@code clientPid} (bash's /dev/tcp) within {@code
   * seconds}; its answer, or bash's error (nothing when it timed out).
   */
  private static String fromClient(long clientPid, String ip, int port, int seconds)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "timeout",
                Integer.toString(seconds),
                "nsenter",
                "-t",
                Long.toString(clientPid),
                "-n",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/$0/$1 && cat <&3",
                ip,
                Integer.toString(port))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    check(p.waitFor(10, TimeUnit.SECONDS), "client did not finish");
    return out;
  }

  private static String httpGet(InetSocketAddress address, String path) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(address, CONNECT_TIMEOUT_MS);
      s.setSoTimeout(CONNECT_TIMEOUT_MS);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Service agentService(String name, String appProtocol) {
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name))
        .setSpec(
            ServiceSpec.newBuilder()
                .setType("NodePort")
                .putSelector("app", "web")
                .addPorts(
                    ServicePort.newBuilder()
                        .setName("http")
                        .setProtocol("TCP")
                        .setPort(80)
                        .setAppProtocol(appProtocol)
                        .setTargetPort(IntOrString.newBuilder().setIntValue(8080))))
        .build();
  }

  private static void startPod(String ip, String name) throws IOException {
    startPod(ip, name, false);
  }

  /** A pod: answers each connection with its name (and the client's address) and closes it. */
  private static void startPod(String ip, String name, boolean withSource) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(ip, 8080), 512);
    Thread t =
        new Thread(
            () -> {
              while (true) {
                try (Socket s = server.accept();
                    OutputStream out = s.getOutputStream()) {
                  String reply =
                      withSource ? name + " from " + s.getInetAddress().getHostAddress() : name;
                  out.write((reply + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                  return;
                }
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  /** One new connection; the pod's name. */
  private static String ask(String ip, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), CONNECT_TIMEOUT_MS);
      s.setSoTimeout(CONNECT_TIMEOUT_MS);
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
    }
  }

  /** "refused" when the connection is refused at once; fails on a timeout (a hang) or an answer. */
  private static String refusal(String ip, int port) throws IOException {
    long started = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(ip, port), CONNECT_TIMEOUT_MS);
      throw new IllegalStateException(
          ip + ":" + port + " accepted a connection; expected a refusal");
    } catch (ConnectException e) {
      long ms = (System.nanoTime() - started) / 1_000_000;
      check(ms < 1000, ip + ":" + port + " refused only after " + ms + " ms");
      return "refused (" + e.getMessage() + ", " + ms + " ms)";
    }
  }

  private static String listTable() {
    return Nft.run(List.of("nft", "list", "table", "ip", NftRuleset.TABLE), "", NFT_TIMEOUT)
        .output();
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
