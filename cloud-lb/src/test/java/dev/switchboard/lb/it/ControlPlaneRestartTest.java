package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.lb.CloudLb;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load balancer keeps forwarding while the control plane is away, and catches up when it is
 * back.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlPlaneRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
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
  void forwardsWithTheLastStateAndResumesAfterARestart() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd, EtcdProcess.freePort())) {
      Service.Builder spec = LbCluster.lbService("before", false);
      spec.getSpecBuilder().setLoadBalancerIp("127.0.2.41");
      Service before = cluster.apply(spec.build());
      int nodePort = before.getSpec().getPorts(0).getNodePort();
      List<StandInNode> nodes =
          List.of(
              cluster.node("n1", 231).serveTcp(nodePort),
              cluster.node("n2", 232).serveTcp(nodePort));
      CloudLb lb = cluster.loadBalancer("lb");
      InetSocketAddress first = new InetSocketAddress("127.0.2.41", 80);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.1", first) != null);

      cluster.stopControlPlane();
      await().atMost(WAIT).until(() -> !lb.connected());
      for (int c = 1; c <= 10; c++) {
        assertThat(Clients.firstLine("127.0.30." + c, first)).isIn("n1", "n2");
      }

      cluster.restartControlPlane();
      nodes.forEach(n -> n.register(cluster.channel)); // agents reconnect too
      Service.Builder later = LbCluster.lbService("after", false);
      later.getSpecBuilder().setLoadBalancerIp("127.0.2.42");
      Service after = cluster.apply(later.build());
      for (StandInNode n : nodes) {
        n.serveTcp(after.getSpec().getPorts(0).getNodePort());
      }
      await().atMost(WAIT).until(lb::connected);
      InetSocketAddress second = new InetSocketAddress("127.0.2.42", 80);
      await().atMost(WAIT).until(() -> Clients.firstLineOrNull("127.0.30.1", second) != null);
      await()
          .atMost(WAIT)
          .until(() -> cluster.get("after").getStatus().getLoadBalancer().getIngressCount() == 1);
      assertThat(Clients.firstLine("127.0.30.2", first)).isIn("n1", "n2");
    }
  }
}
