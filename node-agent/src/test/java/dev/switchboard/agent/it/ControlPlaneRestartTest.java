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
import dev.switchboard.discovery.client.Backoff;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An agent that starts before its control plane, outlives it, and follows its successor: the same
 * etcd and key prefix, a new control plane on the same port.
 */
@Timeout(60)
class ControlPlaneRestartTest {

  @Test
  void readinessWaitsForTheFirstSnapshotAndForwardingOutlivesTheControlPlane() throws Exception {
    List<Integer> backoffCalls = new CopyOnWriteArrayList<>();
    Backoff recording =
        failures -> {
          backoffCalls.add(failures);
          return Duration.ofMillis(Math.min(400, 25L << Math.min(failures, 4)));
        };
    try (EtcdProcess etcd = EtcdProcess.start();
        AgentCluster cluster = new AgentCluster(etcd);
        TcpBackend p1 = new TcpBackend("p1", "127.0.10.11");
        TcpBackend p2 = new TcpBackend("p2", "127.0.10.12")) {
      NodeAgent agent = cluster.startAgent("n1", "127.0.1.1", recording);

      // No control plane yet: alive, not ready; the client keeps retrying with growing delays.
      assertThat(Net.get(agent.adminAddress(), "/healthz").status()).isEqualTo(200);
      assertThat(Net.get(agent.adminAddress(), "/readyz").status()).isEqualTo(503);
      await().atMost(WAIT).until(() -> backoffCalls.size() >= 3);
      assertThat(backoffCalls.subList(0, 3)).containsExactly(1, 2, 3);
      assertThat(Net.get(agent.adminAddress(), "/readyz").status()).isEqualTo(503);

      cluster.startControlPlane();
      await().atMost(WAIT).until(() -> Net.get(agent.adminAddress(), "/readyz").status() == 200);
      Service svc = cluster.apply(service("web", "NodePort", port("http", "TCP", 80, 0)));
      cluster.apply(pod("p1", "web", "127.0.10.11", "n1", "http", "TCP", p1.port()));
      cluster.awaitProgrammed(cluster.currentRevision());
      InetSocketAddress nodePort = addr("127.0.1.1", svc.getSpec().getPorts(0).getNodePort());
      InetSocketAddress clusterIp = addr(svc.getSpec().getClusterIp(), 80);
      assertThat(ask(nodePort)).isEqualTo("p1");

      // The control plane goes away: nothing changes for traffic.
      int callsBefore = backoffCalls.size();
      cluster.stopControlPlane();
      await().atMost(WAIT).until(() -> !agent.connected() && backoffCalls.size() > callsBefore + 1);
      assertThat(backoffCalls.get(callsBefore)).as("reset after a good stream").isEqualTo(1);
      for (int i = 0; i < 20; i++) {
        assertThat(ask(nodePort)).isEqualTo("p1");
        assertThat(ask(clusterIp)).isEqualTo("p1");
      }
      assertThat(Net.get(agent.adminAddress(), "/readyz").status()).isEqualTo(200);

      // A new control plane on the same etcd: a change made after it started reaches the agent.
      cluster.startControlPlane();
      cluster.apply(pod("p2", "web", "127.0.10.12", "n1", "http", "TCP", p2.port()));
      cluster.awaitProgrammed(cluster.currentRevision());
      await().atMost(WAIT).until(() -> agent.connected());
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        seen.add(ask(nodePort));
      }
      assertThat(seen).containsExactlyInAnyOrder("p1", "p2"); // missing one: 2^-39
      assertThat(cluster.subscriber("n1").orElseThrow().ackedVersion())
          .isGreaterThanOrEqualTo(agent.programmedVersion());
    }
  }
}
