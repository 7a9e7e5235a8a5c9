package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.lb.balancer.ServicePlan;
import dev.switchboard.lb.nodes.HealthOptions;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.Service;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who gets in and what the node learns: source ranges, PROXY protocol v2, externalTrafficPolicy
 * Local.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @Test
  void sourceRangesRefuseOutsidersBeforeAnyNode() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service.Builder spec = LbCluster.lbService("private", true);
      spec.getSpecBuilder()
          .setLoadBalancerIp("127.0.2.31")
          .addLoadBalancerSourceRanges("127.0.30.0/24");
      Service svc = cluster.apply(spec.build());
      List<StandInNode> nodes =
          List.of(
              cluster
                  .node("n1", 221)
                  .serveTcp(svc.getSpec().getPorts(0).getNodePort())
                  .serveUdp(svc.getSpec().getPorts(1).getNodePort()),
              cluster
                  .node("n2", 222)
                  .serveTcp(svc.getSpec().getPorts(0).getNodePort())
                  .serveUdp(svc.getSpec().getPorts(1).getNodePort()));
      // One check per node, then none for a minute: every connection a node accepts is forwarded
      // traffic.
      CloudLb lb = cluster.loadBalancer("lb", HealthOptions.of(Duration.ofMinutes(1), 1, 1));
      InetSocketAddress http = new InetSocketAddress("127.0.2.31", 80);
      InetSocketAddress dns = new InetSocketAddress("127.0.2.31", 53);
      // Until both checks passed, a request may be served in panic and a check still be on its way.
      ServiceName key = new ServiceName("default", "private");
      await().atMost(WAIT).until(() -> lb.inspect(b -> b.passingNodes(key)).size() == 2);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.5", http) != null);
      assertThat(Clients.udpAsk("127.0.30.5", dns, 3_000)).isIn("n1", "n2");

      int tcpBefore = nodes.stream().mapToInt(n -> n.accepted.get()).sum();
      int udpBefore = nodes.stream().mapToInt(n -> n.datagrams.get()).sum();
      for (String outsider : new String[] {"127.0.40.1", "127.0.31.5", "127.0.29.255"}) {
        assertThat(Clients.firstLineOrNull(outsider, http)).as(outsider).isNull();
        assertThat(Clients.udpAsk(outsider, dns, 300)).as(outsider).isNull();
      }
      assertThat(nodes.stream().mapToInt(n -> n.accepted.get()).sum()).isEqualTo(tcpBefore);
      assertThat(nodes.stream().mapToInt(n -> n.datagrams.get()).sum()).isEqualTo(udpBefore);
      long refused = lb.inspect(b -> b.refused(key));
      assertThat(refused).isEqualTo(6);

      // Widening the ranges lets them in without rebinding.
      Service widened =
          cluster.get("private").toBuilder()
              .setSpec(
                  cluster.get("private").getSpec().toBuilder()
                      .addLoadBalancerSourceRanges("127.0.40.0/24"))
              .build();
      cluster.apply(widened);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.40.1", http) != null);
      assertThat(Clients.firstLineOrNull("127.0.31.5", http)).isNull();
    }
  }

  @Test
  void deprecatedSourceRangesAnnotationAloneRestrictsTheLoadBalancer() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service.Builder spec = LbCluster.lbService("annotated", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.34");
      spec.getMetadataBuilder()
          .putAnnotations(
              Annotations.LOAD_BALANCER_SOURCE_RANGES, " 127.0.30.0/24, 127.0.32.0/24 ");
      Service svc = cluster.apply(spec.build());
      assertThat(svc.getSpec().getLoadBalancerSourceRangesList()).isEmpty();
      StandInNode node = cluster.node("n1", 223).serveTcp(svc.getSpec().getPorts(0).getNodePort());
      CloudLb lb = cluster.loadBalancer("lb", HealthOptions.of(Duration.ofMinutes(1), 1, 1));
      InetSocketAddress http = new InetSocketAddress("127.0.2.34", 80);
      ServiceName key = new ServiceName("default", "annotated");
      await().atMost(WAIT).until(() -> lb.inspect(b -> b.passingNodes(key)).size() == 1);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.5", http) != null);
      assertThat(Clients.firstLine("127.0.32.9", http)).isEqualTo("n1");

      int before = node.accepted.get();
      for (String outsider : new String[] {"127.0.40.1", "127.0.31.5"}) {
        assertThat(Clients.firstLineOrNull(outsider, http)).as(outsider).isNull();
      }
      assertThat(node.accepted.get()).isEqualTo(before);
      long refused = lb.inspect(b -> b.refused(key));
      assertThat(refused).isEqualTo(2);
    }
  }

  @Test
  void proxyProtocolV2TellsTheNodeTheClientAndTheExternalAddress() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service.Builder spec = LbCluster.lbService("proxied", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.32");
      spec.getMetadataBuilder().putAnnotations(ServicePlan.PROXY_PROTOCOL_ANNOTATION, "v2");
      Service svc = cluster.apply(spec.build());
      cluster.node("n1", 224).serveTcp(svc.getSpec().getPorts(0).getNodePort(), true);
      cluster.loadBalancer("lb");
      InetSocketAddress http = new InetSocketAddress("127.0.2.32", 80);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.5", http) != null);

      try (Socket s = Clients.connect("127.0.30.5", http)) {
        int clientPort = s.getLocalPort();
        assertThat(Clients.readLine(s)).isEqualTo("n1 127.0.30.5:" + clientPort + " 127.0.2.32:80");
        // The payload follows the header intact.
        s.getOutputStream().write("after the header\n".getBytes());
        assertThat(Clients.readLine(s)).isEqualTo("after the header");
      }
    }
  }

  @Test
  void localPolicyOnlyUsesNodesWhoseHealthCheckAnswers200() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service.Builder spec = LbCluster.lbService("local", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.33").setExternalTrafficPolicy("Local");
      Service svc = cluster.apply(spec.build());
      int nodePort = svc.getSpec().getPorts(0).getNodePort();
      int healthPort = svc.getSpec().getHealthCheckNodePort();
      assertThat(healthPort).isPositive();
      AtomicInteger n2Status = new AtomicInteger(503);
      cluster.node("n1", 225).serveTcp(nodePort).serveHealth(healthPort, () -> 200);
      cluster.node("n2", 226).serveTcp(nodePort).serveHealth(healthPort, n2Status::get);
      cluster.node("n3", 227).serveTcp(nodePort); // no health server at all
      CloudLb lb = cluster.loadBalancer("lb");
      ServiceName key = new ServiceName("default", "local");
      // n1 passing, not just one usable endpoint: before any node passes, every ready node is used
      // (panic), and while the other nodes' registrations are on their way that may be n1 alone.
      await()
          .atMost(WAIT)
          .until(
              () ->
                  lb.inspect(b -> b.passingNodes(key)).equals(Set.of("n1"))
                      && usable(lb, key) == 1);
      InetSocketAddress http = new InetSocketAddress("127.0.2.33", 80);
      for (int c = 1; c <= 20; c++) {
        assertThat(Clients.firstLine("127.0.30." + c, http)).isEqualTo("n1");
      }

      n2Status.set(200);
      await().atMost(WAIT).until(() -> usable(lb, key) == 2);
      await()
          .atMost(WAIT)
          .until(
              () -> {
                for (int c = 1; c <= 20; c++) {
                  if ("n2".equals(Clients.firstLine("127.0.30." + c, http))) {
                    return true;
                  }
                }
                return false;
              });
      n2Status.set(503);
      await().atMost(WAIT).until(() -> usable(lb, key) == 1);
    }
  }

  private static long usable(CloudLb lb, ServiceName key) {
    return lb.inspect(
        b ->
            b.listeners(key).isEmpty()
                ? -1
                : b.listeners(key).get(0).target().endpoints().stream()
                    .filter(e -> e.ready())
                    .count());
  }
}
