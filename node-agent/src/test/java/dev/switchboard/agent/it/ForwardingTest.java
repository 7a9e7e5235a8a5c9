package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.pod;
import static dev.switchboard.agent.it.AgentCluster.port;
import static dev.switchboard.agent.it.AgentCluster.service;
import static dev.switchboard.agent.it.Net.addr;
import static dev.switchboard.agent.it.Net.ask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.NodeAgent;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.SessionAffinityConfig;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three real agents (nodes n1–n3 on 127.0.1.1–3) following a real control plane on a real etcd,
 * forwarding real connections to real backends (127.0.10.x). Services are created through the Admin
 * API, as a user would.
 */
@Timeout(60)
class ForwardingTest {
  private static final String[] NODES = {"n1", "n2", "n3"};
  private static final String[] NODE_IPS = {"127.0.1.1", "127.0.1.2", "127.0.1.3"};

  private static EtcdProcess etcd;
  private static AgentCluster cluster;

  /** The shared "web" service: TCP "http" and UDP "dns", one pod per node. */
  private static Service web;

  private static final List<AutoCloseable> backends = new ArrayList<>();

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    cluster = new AgentCluster(etcd);
    cluster.startControlPlane();
    for (int i = 0; i < 3; i++) {
      cluster.startAgent(NODES[i], NODE_IPS[i]);
    }
    web =
        cluster.apply(
            service(
                "web",
                "NodePort",
                port("http", "TCP", 8000 + ThreadLocalRandom.current().nextInt(1000), 0),
                port("dns", "UDP", 9000 + ThreadLocalRandom.current().nextInt(1000), 0)));
    long version = 0;
    for (int i = 0; i < 3; i++) {
      String ip = "127.0.10." + (i + 1);
      TcpBackend tcp = new TcpBackend("web-" + (i + 1), ip);
      UdpBackend udp = new UdpBackend("web-" + (i + 1), ip);
      backends.add(tcp);
      backends.add(udp);
      Pod p =
          cluster.apply(
              pod(
                  "web-" + (i + 1),
                  "web",
                  ip,
                  NODES[i],
                  "http",
                  "TCP",
                  tcp.port(),
                  "dns",
                  "UDP",
                  udp.port()));
      version = Math.max(version, p.getMetadata().getResourceVersion());
    }
    cluster.awaitProgrammed(version);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    for (AutoCloseable b : backends) {
      b.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  /**
   * Bound: each pod's count is Binomial(3000, 1/3): mean 1000, standard deviation 25.8. The
   * interval [800, 1200] is ±7.7 standard deviations; a fair picker falls outside it with
   * probability below 1e-13.
   */
  @Test
  void anyNodesNodePortReachesPodsOnEveryNodeInFairShares() throws Exception {
    int nodePort = web.getSpec().getPorts(0).getNodePort();
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    AtomicInteger failures = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int node = 0; node < 3; node++) {
        InetSocketAddress target = addr(NODE_IPS[node], nodePort);
        done.add(
            clients.submit(
                () -> {
                  for (int i = 0; i < 1000; i++) {
                    String name = ask(target);
                    if (name == null) {
                      failures.incrementAndGet();
                    } else {
                      counts.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                    }
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      clients.shutdownNow();
    }
    System.out.println("connections per pod over 3000: " + counts);
    assertThat(failures.get()).isZero();
    assertThat(counts).containsOnlyKeys("web-1", "web-2", "web-3");
    counts.values().forEach(c -> assertThat(c.get()).isBetween(800, 1200));
  }

  @Test
  void clusterIpReachesEveryPod() {
    InetSocketAddress vip = addr(web.getSpec().getClusterIp(), web.getSpec().getPorts(0).getPort());
    assertThat(web.getSpec().getClusterIp()).startsWith("127.96.");
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      seen.add(ask(vip));
    }
    // Missing one of 3 pods in 60 uniform picks: 3 * (2/3)^60 < 1e-10.
    assertThat(seen).containsExactlyInAnyOrder("web-1", "web-2", "web-3");
  }

  @Test
  void udpEchoWorksThroughNodePortsAndTheClusterIp() {
    int nodePort = web.getSpec().getPorts(1).getNodePort();
    for (String nodeIp : NODE_IPS) {
      String reply = Net.udp(addr(nodeIp, nodePort), "hello " + nodeIp);
      assertThat(reply).matches("web-[123]:hello " + nodeIp.replace(".", "\\."));
    }
    InetSocketAddress vip = addr(web.getSpec().getClusterIp(), web.getSpec().getPorts(1).getPort());
    Set<String> pods = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      String reply = Net.udp(vip, "ping" + i);
      assertThat(reply).endsWith(":ping" + i);
      pods.add(reply.substring(0, reply.indexOf(':')));
    }
    assertThat(pods).isSubsetOf("web-1", "web-2", "web-3").hasSizeGreaterThan(1);
  }

  @Test
  void terminatingOrRemovedEndpointsGetNoNewConnectionsWhileOpenOnesComplete() throws Exception {
    try (TcpBackend d1 = new TcpBackend("drain-1", "127.0.10.7");
        TcpBackend d2 = new TcpBackend("drain-2", "127.0.10.8")) {
      Service svc = cluster.apply(service("drain", "NodePort", port("http", "TCP", 80, 0)));
      cluster.apply(pod("drain-1", "drain", "127.0.10.7", "n1", "http", "TCP", d1.port()));
      Pod p2 = cluster.apply(pod("drain-2", "drain", "127.0.10.8", "n2", "http", "TCP", d2.port()));
      cluster.awaitProgrammed(p2.getMetadata().getResourceVersion());
      InetSocketAddress target = addr("127.0.1.3", svc.getSpec().getPorts(0).getNodePort());

      // An open connection to drain-2 (each new connection goes to it with probability 1/2).
      Net.Conn kept = null;
      for (int i = 0; i < 60 && kept == null; i++) {
        Net.Conn c = Net.Conn.open(target, null);
        if ("drain-2".equals(c.name)) {
          kept = c;
        } else {
          c.close();
        }
      }
      assertThat(kept).as("a connection to drain-2").isNotNull();
      try (Net.Conn open = kept) {
        cluster.awaitProgrammed(
            cluster.setTerminating("drain-2").getMetadata().getResourceVersion());
        for (int i = 0; i < 30; i++) {
          assertThat(ask(target)).isEqualTo("drain-1");
        }
        assertThat(open.echo("still there")).isEqualTo("drain-2:still there");

        cluster.deletePod("drain-2");
        cluster.awaitProgrammed(cluster.currentRevision());
        for (int i = 0; i < 30; i++) {
          assertThat(ask(target)).isEqualTo("drain-1");
        }
        assertThat(open.echo("and now")).isEqualTo("drain-2:and now");
      }
      await().atMost(WAIT).until(() -> d2.open.get() == 0); // it completed, end to end
    }
  }

  @Test
  void clientIpAffinityPinsEachClientToOnePod() {
    Service.Builder sticky = service("sticky", "NodePort", port("http", "TCP", 80, 0));
    sticky
        .getSpecBuilder()
        .putSelector("app", "web")
        .setSessionAffinity("ClientIP")
        .setSessionAffinityConfig(
            SessionAffinityConfig.newBuilder()
                .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(600)));
    Service svc = cluster.apply(sticky);
    cluster.awaitProgrammed(cluster.currentRevision());
    InetSocketAddress target = addr("127.0.1.1", svc.getSpec().getPorts(0).getNodePort());
    Map<String, Set<String>> podsByClient = new HashMap<>();
    for (int c = 1; c <= 10; c++) {
      String source = "127.0.20." + c;
      for (int i = 0; i < 5; i++) {
        podsByClient.computeIfAbsent(source, s -> new HashSet<>()).add(ask(target, Net.ip(source)));
      }
    }
    podsByClient.forEach(
        (client, pods) -> assertThat(pods).as(client).hasSize(1).doesNotContainNull());
    // 10 clients all pinned to the same one of 3 pods: probability 3 * 3^-10 < 1e-4.
    assertThat(podsByClient.values().stream().flatMap(Set::stream).distinct().count())
        .isGreaterThan(1);
  }

  @Test
  void externalTrafficPolicyLocalUsesOnlyLocalPodsAndTheHealthCheckSaysWhichNodesHaveThem() {
    try (TcpBackend l1 = new TcpBackend("local-1", "127.0.10.4");
        TcpBackend l2 = new TcpBackend("local-2", "127.0.10.5");
        TcpBackend l3 = new TcpBackend("local-3", "127.0.10.6")) {
      Service.Builder local = service("local", "LoadBalancer", port("http", "TCP", 80, 0));
      local.getSpecBuilder().setExternalTrafficPolicy("Local");
      Service svc = cluster.apply(local);
      cluster.apply(pod("local-1", "local", "127.0.10.4", "n1", "http", "TCP", l1.port()));
      cluster.apply(pod("local-2", "local", "127.0.10.5", "n1", "http", "TCP", l2.port()));
      Pod last =
          cluster.apply(pod("local-3", "local", "127.0.10.6", "n3", "http", "TCP", l3.port()));
      cluster.awaitProgrammed(last.getMetadata().getResourceVersion());
      int hc = svc.getSpec().getHealthCheckNodePort();
      assertThat(hc).isPositive();

      Net.Http n1 = Net.get(addr("127.0.1.1", hc), "/");
      assertThat(n1.status()).isEqualTo(200);
      assertThat(n1.body())
          .contains("\"service\":{\"namespace\":\"default\",\"name\":\"local\"}")
          .contains("\"localEndpoints\":2");
      Net.Http n2 = Net.get(addr("127.0.1.2", hc), "/");
      assertThat(n2.status()).isEqualTo(503);
      assertThat(n2.body()).contains("\"localEndpoints\":0");
      assertThat(Net.get(addr("127.0.1.3", hc), "/healthz").body())
          .contains("\"localEndpoints\":1");

      int nodePort = svc.getSpec().getPorts(0).getNodePort();
      Set<String> fromN1 = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        fromN1.add(ask(addr("127.0.1.1", nodePort)));
      }
      assertThat(fromN1).containsExactlyInAnyOrder("local-1", "local-2"); // missing one: 2^-39
      assertThat(ask(addr("127.0.1.3", nodePort))).isEqualTo("local-3");
      assertThat(ask(addr("127.0.1.2", nodePort))).as("no local endpoint: closed").isNull();
      // ClusterIP traffic is not limited by externalTrafficPolicy.
      Set<String> viaVip = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        viaVip.add(ask(addr(svc.getSpec().getClusterIp(), 80)));
      }
      assertThat(viaVip).containsExactlyInAnyOrder("local-1", "local-2", "local-3");
    }
  }

  @Test
  void aNodePortTakenByAnotherProcessIsNackedWhileEverythingElseWorks() throws Exception {
    ServerSocket squatter = null;
    int taken = 0;
    for (int i = 0; i < 50 && squatter == null; i++) {
      taken = 30000 + ThreadLocalRandom.current().nextInt(500); // the static part of the range
      try {
        squatter = new ServerSocket(taken, 1, Net.ip("127.0.1.2"));
      } catch (java.io.IOException busy) {
        squatter = null;
      }
    }
    assertThat(squatter).isNotNull();
    try (TcpBackend c1 = new TcpBackend("clash-1", "127.0.10.9")) {
      Service svc =
          cluster.apply(
              service("clash", "NodePort", port("a", "TCP", 80, taken), port("b", "TCP", 81, 0)));
      Pod p =
          cluster.apply(
              pod(
                  "clash-1",
                  "clash",
                  "127.0.10.9",
                  "n1",
                  "a",
                  "TCP",
                  c1.port(),
                  "b",
                  "TCP",
                  c1.port()));
      cluster.awaitProgrammed(p.getMetadata().getResourceVersion());
      String expected =
          "service default/clash port a (NodePort TCP 127.0.1.2:" + taken + "): cannot bind: ";
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(cluster.subscriber("n2").orElseThrow().lastNack())
                      .contains(expected)
                      .containsIgnoringCase("address already in use"));
      assertThat(cluster.subscriber("n1").orElseThrow().lastNack()).isEmpty();
      assertThat(cluster.subscriber("n3").orElseThrow().lastNack()).isEmpty();

      int other = svc.getSpec().getPorts(1).getNodePort();
      assertThat(ask(addr("127.0.1.2", other))).isEqualTo("clash-1");
      assertThat(ask(addr("127.0.1.1", taken))).isEqualTo("clash-1");
      assertThat(ask(addr(svc.getSpec().getClusterIp(), 80))).isEqualTo("clash-1");
      assertThat(ask(addr("127.0.1.2", web.getSpec().getPorts(0).getNodePort())))
          .startsWith("web-");

      // Freed: the next periodic sync binds it, and the agent withdraws its NACK.
      squatter.close();
      int port = taken;
      await().atMost(WAIT).until(() -> "clash-1".equals(ask(addr("127.0.1.2", port))));
      await().atMost(WAIT).until(() -> cluster.subscriber("n2").orElseThrow().lastNack().isEmpty());
    } finally {
      squatter.close();
    }
  }

  @Test
  void everyAgentIsReadyAndHealthy() {
    for (NodeAgent agent : cluster.agents) {
      assertThat(Net.get(agent.adminAddress(), "/readyz").status()).isEqualTo(200);
      assertThat(Net.get(agent.adminAddress(), "/healthz").status()).isEqualTo(200);
    }
  }
}
