package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.pod;
import static dev.switchboard.agent.it.AgentCluster.port;
import static dev.switchboard.agent.it.AgentCluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.switchboard.agent.NodeAgent;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Health observed, not asserted: the agent of a pod's node runs its readiness probe, and the pod's
 * endpoint follows the probe — out when its process stops, back when it answers again — with one
 * condition write per transition and none per probe.
 */
@Timeout(90)
class ReadinessProbeTest {
  private static final String NODE_IP = "127.0.1.41";
  private static final String POD_IP = "127.0.10.41";

  /** 1 s × 3, the example. */
  private static final int PERIOD_SECONDS = 1;

  private static final int FAILURE_THRESHOLD = 3;

  @Test
  void aPodWhoseProcessStopsLeavesItsServiceAndComesBackWhenItAnswers() throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start();
        AgentCluster cluster = new AgentCluster(etcd)) {
      cluster.startControlPlane();
      NodeAgent agent = cluster.startAgent("n1", NODE_IP);
      HttpServer process = serve(0);
      int port = process.getAddress().getPort();
      cluster.apply(service("web", "NodePort", port("http", "TCP", 80, 0)));
      Pod created = cluster.apply(probed(port));
      assertThat(created.getStatus().getReady()).as("before its first probe").isFalse();

      await("ready after the first probe").atMost(WAIT).until(() -> endpointReady(cluster));
      assertThat(stored(cluster).getStatus().getReadyMessage()).isEmpty();

      long stopped = System.nanoTime();
      process.stop(0);
      await("out of the service")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> !endpointReady(cluster));
      long notReady = cluster.currentRevision();
      cluster.awaitProgrammed(notReady);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
      assertThat(stored(cluster).getStatus().getReadyMessage())
          .startsWith("Readiness probe failed: connection refused");
      System.out.printf(
          "readiness probe %d s x %d: endpoint out of the agent's table %d ms after the"
              + " pod's process stopped%n",
          PERIOD_SECONDS, FAILURE_THRESHOLD, millis);
      // period × threshold, plus up to one period of phase, plus programming; generous for a busy
      // box.
      assertThat(millis)
          .isLessThan(TimeUnit.SECONDS.toMillis(PERIOD_SECONDS * (FAILURE_THRESHOLD + 1)) + 4000);

      HttpServer again = serve(port);
      try {
        await("back when it answers").atMost(WAIT).until(() -> endpointReady(cluster));
        // Three transitions (ready, not ready, ready) in some dozen probes: three writes.
        assertThat(agent.probeWrites()).isEqualTo(3);
      } finally {
        again.stop(0);
      }
    }
  }

  /**
   * Probes go on while the control plane is away, and what they found meanwhile is written when it
   * is back: the latest state, once.
   */
  @Test
  void aTransitionWhileTheControlPlaneIsAwayIsWrittenWhenItIsBack() throws Exception {
    try (EtcdProcess etcd = EtcdProcess.start();
        AgentCluster cluster = new AgentCluster(etcd)) {
      cluster.startControlPlane();
      NodeAgent agent = cluster.startAgent("n1", NODE_IP);
      HttpServer process = serve(0);
      int port = process.getAddress().getPort();
      cluster.apply(service("web", "NodePort", port("http", "TCP", 80, 0)));
      cluster.apply(probed(port));
      await("ready after the first probe").atMost(WAIT).until(() -> endpointReady(cluster));
      long writesBefore = agent.probeWrites();

      cluster.stopControlPlane();
      process.stop(0);
      // Three failed probes at 1 s: the prober has made up its mind and tried to say so.
      await("the prober tries to report")
          .atMost(WAIT)
          .until(() -> agent.probeWrites() > writesBefore);
      cluster.startControlPlane();
      await("not ready once the control plane is back")
          .atMost(WAIT)
          .until(() -> !endpointReady(cluster));
      assertThat(stored(cluster).getStatus().getReadyMessage())
          .startsWith("Readiness probe failed:");
    }
  }

  private static Pod probed(int port) {
    Pod written = pod("web-1", "web", POD_IP, "n1", "http", "TCP", port);
    return written.toBuilder()
        .setSpec(
            written.getSpec().toBuilder()
                .setContainers(
                    0,
                    written.getSpec().getContainers(0).toBuilder()
                        .setReadinessProbe(
                            Probe.newBuilder()
                                .setPeriodSeconds(PERIOD_SECONDS)
                                .setFailureThreshold(FAILURE_THRESHOLD)
                                .setHttpGet(
                                    HTTPGetAction.newBuilder()
                                        .setPath("/healthz")
                                        .setPort(IntOrString.newBuilder().setStrValue("http"))))))
        .build();
  }

  private static boolean endpointReady(AgentCluster cluster) {
    Endpoints e =
        cluster
            .admin()
            .getEndpoints(GetRequest.newBuilder().setNamespace("default").setName("web").build());
    return e.getEndpointsCount() == 1
        && e.getEndpointsList().stream().allMatch((Endpoint ep) -> ep.getConditions().getReady());
  }

  private static Pod stored(AgentCluster cluster) {
    return cluster
        .admin()
        .getPod(GetRequest.newBuilder().setNamespace("default").setName("web-1").build());
  }

  private static HttpServer serve(int port) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(POD_IP, port), 16);
    server.createContext(
        "/healthz",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    return server;
  }
}
