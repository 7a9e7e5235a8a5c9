package dev.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.SetPodConditionsRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control plane killed with SIGKILL while clients connect through the load balancer: the agents
 * and cloud-lb keep forwarding with the state they hold (no request fails); once the control plane
 * is back, a change made right away reaches every node agent.
 */
class ControlPlaneKillTest {
  /** No failed request, and the first change after the restart reaches every agent. */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void forwardingSurvivesAControlPlaneCrashAndChangesFlowAgainAfterRestart() {
    run(Duration.ofSeconds(10));
  }

  /**
   * The target: that first change on every agent within 2 s of the write. It needs the
   * agents' reconnect backoff capped at ~1 s: with the former 30 s cap the backoff had grown to ~3
   * s by the time a killed control plane served again (~3.5 s: a JVM start and an etcd list), and
   * an agent could still be waiting for its next attempt (docs/reliability.md, finding 3).
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void theFirstChangeAfterRestartReachesEveryAgentWithinTwoSeconds() {
    run(Duration.ofSeconds(2));
  }

  /**
   * The control plane away for three lease periods: every node's lease lapses while no replica
   * runs. The replica that starts must give each node a full lease period to come back before it
   * publishes it not ready, and cloud-lb must not drop every node at once; no request fails.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void noRequestFailsWhileTheControlPlaneIsDownForThreeLeasePeriods() {
    run("4s", Duration.ofSeconds(12), Duration.ofSeconds(10));
  }

  private static void run(Duration changeBudget) {
    run("10s", Duration.ZERO, changeBudget);
  }

  private static void run(String leaseTtl, Duration downAtLeast, Duration changeBudget) {
    try (E2eCluster cluster = E2eCluster.start("control-plane-kill", 1, leaseTtl, 2, true);
        Backends backends = new Backends()) {
      WebService web = WebService.create(cluster, backends, 3);
      try (LoadGenerator load =
          new LoadGenerator(web.externalIp, Specs.SERVICE_PORT, 4, 200_000, 60_000)) {
        await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > 200);
        long killed = System.nanoTime();
        cluster.controlPlane(0).kill();
        long atKill = load.ok();
        // The data plane on its own: requests keep succeeding while nothing can be programmed.
        await("requests while the control plane is down")
            .atMost(Duration.ofSeconds(20))
            .until(() -> load.ok() > atKill + 500);
        long downSoFar = System.nanoTime() - killed;
        if (downSoFar < downAtLeast.toNanos()) {
          // the outage itself is the test's subject: leases lapse while nothing runs
          await("control plane down for " + downAtLeast)
              .pollDelay(downAtLeast.minusNanos(downSoFar))
              .atMost(downAtLeast.plusSeconds(1))
              .until(() -> true);
        }
        cluster.restartControlPlane(0);
        long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);

        AdminGrpc.AdminBlockingStub admin = cluster.admin(0);
        long start = System.nanoTime();
        long version =
            admin
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .setPodConditions(
                    SetPodConditionsRequest.newBuilder()
                        .setNamespace(Specs.NS)
                        .setName("web-1")
                        .setReady(false)
                        .build())
                .getMetadata()
                .getResourceVersion();
        cluster.awaitAgentsAt(version, changeBudget);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        long after = load.ok();
        await().atMost(Duration.ofSeconds(10)).until(() -> load.ok() > after + 200);
        load.close();
        assertThat(load.failures()).as("failed requests (of %d ok)", load.ok()).isEmpty();
        System.out.printf(
            "control plane kill: %d requests ok, %d failed (%d while it was down"
                + " or restarting, %d ms); first change after the restart on every agent in %d"
                + " ms%n",
            load.ok(), load.failed(), after - atKill, downMillis, millis);
      }
    }
  }
}
