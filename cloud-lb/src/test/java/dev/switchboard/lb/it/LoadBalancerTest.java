package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A LoadBalancer service end to end: Admin API → control plane → cloud-lb → nodes (stand-ins). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadBalancerTest {
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
  void clientsReachTheServiceThroughTheNodesAndTheStatusShowsTheExternalIp() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service web =
          cluster.apply(
              LbCluster.lbService("web", true)
                  .setSpec(
                      LbCluster.lbService("web", true).getSpec().toBuilder()
                          .setLoadBalancerIp("127.0.2.11"))
                  .build());
      String ip = web.getSpec().getLoadBalancerIp();
      assertThat(ip).isEqualTo("127.0.2.11");
      int tcpNodePort = web.getSpec().getPorts(0).getNodePort();
      int udpNodePort = web.getSpec().getPorts(1).getNodePort();
      for (int i = 1; i <= 3; i++) {
        cluster.node("n" + i, 200 + i).serveTcp(tcpNodePort).serveUdp(udpNodePort);
      }
      // Two replicas on one host share the address (SO_REUSEPORT); Maglev makes them agree.
      CloudLb a = cluster.loadBalancer("lb-a");
      CloudLb b = cluster.loadBalancer("lb-b");

      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThat(cluster.get("web").getStatus().getLoadBalancer().getIngressList())
                      .singleElement()
                      .satisfies(in -> assertThat(in.getIp()).isEqualTo(ip)));
      InetSocketAddress http = new InetSocketAddress(ip, 80);
      ServiceName key = new ServiceName("default", "web");
      for (CloudLb lb : new CloudLb[] {a, b}) {
        // Every node passes its checks (a count of ready nodes would also hold in panic).
        await()
            .atMost(WAIT)
            .until(
                () ->
                    lb.inspect(
                        bal ->
                            bal.listeners(key).size() == 2 && bal.passingNodes(key).size() == 3));
      }

      Map<String, String> nodeOf = new HashMap<>();
      for (int c = 1; c <= 30; c++) {
        String client = "127.0.30." + c;
        String node = Clients.firstLine(client, http);
        assertThat(node).isIn("n1", "n2", "n3");
        nodeOf.put(client, node);
      }
      assertThat(nodeOf.values()).contains("n1", "n2", "n3");
      // Every later connection of a client goes to the same node, whichever replica accepts it.
      for (int round = 0; round < 3; round++) {
        for (Map.Entry<String, String> e : nodeOf.entrySet()) {
          assertThat(Clients.firstLine(e.getKey(), http)).isEqualTo(e.getValue());
        }
      }
      // Both replicas took connections (the kernel spreads them by 4-tuple), and they agreed.
      for (CloudLb lb : new CloudLb[] {a, b}) {
        long accepted =
            lb.inspect(
                bal ->
                    bal.listeners(key).stream()
                        .filter(l -> l.spec().protocol() == Protocol.TCP)
                        .mapToLong(l -> l.stats().totalConnections())
                        .sum());
        assertThat(accepted).isPositive();
      }
      // UDP: the same Maglev choice for the same client.
      for (String client : new String[] {"127.0.30.1", "127.0.30.2", "127.0.30.3"}) {
        assertThat(Clients.udpAsk(client, new InetSocketAddress(ip, 53), 3_000))
            .isEqualTo(nodeOf.get(client));
      }
      // Bytes both ways, through the node.
      try (Socket s = Clients.connect("127.0.30.9", http)) {
        assertThat(Clients.readLine(s)).isEqualTo(nodeOf.get("127.0.30.9"));
        s.getOutputStream().write("ping\n".getBytes());
        assertThat(Clients.readLine(s)).isEqualTo("ping");
      }
    }
  }

  /** The control plane clears the status when the type changes; the load balancer only lets go. */
  @Test
  void theExternalIpGoesAwayWhenTheServiceStopsBeingALoadBalancer() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Service.Builder spec = LbCluster.lbService("shop", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.12");
      Service shop = cluster.apply(spec.build());
      cluster.node("n1", 204).serveTcp(shop.getSpec().getPorts(0).getNodePort());
      cluster.loadBalancer("lb");
      InetSocketAddress http = new InetSocketAddress("127.0.2.12", 80);
      await()
          .atMost(WAIT)
          .until(() -> cluster.get("shop").getStatus().getLoadBalancer().getIngressCount() == 1);
      await().atMost(WAIT).until(() -> "n1".equals(Clients.firstLineOrNull("127.0.30.1", http)));

      Service current = cluster.get("shop");
      Service.Builder toClusterIp = current.toBuilder();
      toClusterIp
          .getSpecBuilder()
          .setType("ClusterIP")
          .setLoadBalancerIp("")
          .clearExternalTrafficPolicy();
      toClusterIp.getSpecBuilder().getPortsBuilder(0).setNodePort(0);
      Service after = cluster.apply(toClusterIp.build());
      assertThat(after.getSpec().getType()).isEqualTo("ClusterIP");
      assertThat(after.hasStatus() && after.getStatus().getLoadBalancer().getIngressCount() > 0)
          .isFalse();
      assertThat(cluster.get("shop").getStatus().getLoadBalancer().getIngressList()).isEmpty();

      // The load balancer stops listening, and does not write the status back.
      await()
          .atMost(WAIT)
          .untilAsserted(
              () ->
                  assertThatThrownBy(() -> Clients.firstLine("127.0.30.1", http))
                      .isInstanceOf(IOException.class));
      await()
          .during(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(3))
          .until(
              () -> cluster.get("shop").getStatus().getLoadBalancer().getIngressList().isEmpty());
    }
  }

  /** A port that cannot be bound is NACKed, gets no status, and is bound once it is free. */
  @Test
  void aBindFailureIsNackedAndRetried() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      ServerSocket squatter = new ServerSocket();
      squatter.bind(new InetSocketAddress("127.0.2.13", 80));
      Service.Builder spec = LbCluster.lbService("blocked", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.13");
      Service svc = cluster.apply(spec.build());
      cluster.node("n1", 205).serveTcp(svc.getSpec().getPorts(0).getNodePort());
      cluster.loadBalancer("lb");

      await()
          .atMost(WAIT)
          .until(
              () ->
                  cluster
                      .lastNack("lb")
                      .contains("cannot bind TCP 127.0.2.13:80" + " (default/blocked:http)"));
      assertThat(cluster.get("blocked").getStatus().getLoadBalancer().getIngressList()).isEmpty();

      squatter.close();
      InetSocketAddress http = new InetSocketAddress("127.0.2.13", 80);
      await().atMost(WAIT).until(() -> "n1".equals(Clients.firstLineOrNull("127.0.30.1", http)));
      await()
          .atMost(WAIT)
          .until(() -> cluster.get("blocked").getStatus().getLoadBalancer().getIngressCount() == 1);
      await().atMost(WAIT).until(() -> cluster.lastNack("lb").isEmpty());
    }
  }
}
