package dev.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.SetPodConditionsRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every endpoint of a service replaced, Kubernetes rolling-update style, while clients keep
 * connecting through the load balancer: for each old pod, a new pod starts and is ready, then the
 * old one is marked terminating (not ready), then deleted, and only after every agent has
 * programmed its removal does its process stop (what a preStop sleep buys in Kubernetes). Not one
 * request may fail.
 */
class RollingReplacementTest {
  private static final int PODS = 3;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void replacingEveryEndpointUnderLoadFailsNoRequest() {
    try (E2eCluster cluster = E2eCluster.start("rolling-replacement", 1, "10s", 2, true);
        Backends backends = new Backends()) {
      WebService web = WebService.create(cluster, backends, PODS);
      AdminGrpc.AdminBlockingStub admin = cluster.admin(0);
      Duration programmed = Duration.ofSeconds(10);
      try (LoadGenerator load =
          new LoadGenerator(web.externalIp, Specs.SERVICE_PORT, 4, 200_000, 60_000)) {
        for (int i = 1; i <= PODS; i++) {
          String fresh = "web-new-" + i;
          String freshIp = cluster.net.pod(10 + i);
          backends.start(fresh, freshIp);
          long v =
              admin
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .applyPod(
                      Specs.pod(
                          "web", fresh, "node-" + (1 + i % cluster.agentCount()), freshIp, true))
                  .getMetadata()
                  .getResourceVersion();
          cluster.awaitAgentsAt(v, programmed);

          String old = "web-" + i;
          v =
              admin
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .setPodConditions(
                      SetPodConditionsRequest.newBuilder()
                          .setNamespace(Specs.NS)
                          .setName(old)
                          .setReady(false)
                          .setTerminating(true)
                          .build())
                  .getMetadata()
                  .getResourceVersion();
          cluster.awaitAgentsAt(v, programmed);
          admin
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .deletePod(DeleteRequest.newBuilder().setNamespace(Specs.NS).setName(old).build());
          long deleted =
              admin
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .listPods(
                      dev.switchboard.v1.ListRequest.newBuilder().setNamespace(Specs.NS).build())
                  .getResourceVersion();
          cluster.awaitAgentsAt(deleted, programmed);
          backends.stop(old);
        }
        long before = load.ok();
        org.awaitility.Awaitility.await("requests after the last replacement")
            .atMost(Duration.ofSeconds(10))
            .until(() -> load.ok() > before + 200);
        load.close();
        assertThat(load.failures()).as("failed requests (of %d ok)", load.ok()).isEmpty();
        assertThat(load.perPod()).containsKeys("web-new-1", "web-new-2", "web-new-3");
        assertThat(load.ok()).isGreaterThan(500);
        System.out.printf(
            "rolling replacement: %d requests ok, %d failed, per pod %s%n",
            load.ok(), load.failed(), load.perPod());
      }
    }
  }
}
