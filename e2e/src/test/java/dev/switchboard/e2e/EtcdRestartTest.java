package dev.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.v1.AdminGrpc;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * etcd stopped (SIGTERM) or killed (SIGKILL) under a steady stream of Admin writes, then started
 * again on the same data: every write the API acknowledged is in etcd afterwards, at the revision
 * it was acknowledged with, and the control plane recovers by itself (no restart): writes succeed
 * again and a node agent programs the first change made after the outage.
 */
class EtcdRestartTest {
  @ParameterizedTest(name = "etcd {0}")
  @ValueSource(strings = {"stopped", "killed"})
  void noAcknowledgedWriteIsLostAndTheControlPlaneRecoversByItself(String how) throws Exception {
    try (E2eCluster cluster = E2eCluster.start("etcd-" + how, 1, "10s", 1, false);
        EtcdInspector inspector = new EtcdInspector(cluster.etcd.endpoint())) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(0);
      admin.withDeadlineAfter(10, TimeUnit.SECONDS).applyService(Specs.service("web", "ClusterIP"));
      Map<String, Long> acknowledged = new ConcurrentHashMap<>();
      AtomicLong refused = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; i < 20_000 && !stop.get(); i++) {
                  String name = String.format("web-%05d", i);
                  try {
                    long rev =
                        admin
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .applyPod(
                                Specs.pod(
                                    "web", name, "node-1", cluster.net.pod(1 + i % 250), true))
                            .getMetadata()
                            .getResourceVersion();
                    acknowledged.put(name, rev);
                  } catch (StatusRuntimeException e) {
                    refused.incrementAndGet(); // not acknowledged: may or may not have been written
                  }
                }
              },
              "writer");
      writer.start();
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> acknowledged.size() > 200);
        if (how.equals("killed")) {
          cluster.etcd.kill();
        } else {
          cluster.etcd.stop();
        }
        await("writes refused while etcd is down")
            .atMost(Duration.ofSeconds(20))
            .until(() -> refused.get() > 0);
        int duringOutage = acknowledged.size();
        long refusedBefore = refused.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> refused.get() > refusedBefore + 2);
        cluster.etcd.restart();
        long back = System.nanoTime();
        await("writes acknowledged again")
            .atMost(Duration.ofSeconds(30))
            .until(() -> acknowledged.size() > duringOutage + 100);
        long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        stop.set(true);
        writer.join(10_000);

        List<String> lost = new ArrayList<>();
        acknowledged.forEach(
            (name, rev) -> {
              if (inspector.modRevision("pods/" + Specs.NS + "/" + name) != rev) {
                lost.add(name + "@" + rev);
              }
            });
        assertThat(lost)
            .as("acknowledged writes missing from etcd (of %d)", acknowledged.size())
            .isEmpty();
        long last = acknowledged.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        cluster.awaitAgentsAt(last, Duration.ofSeconds(10));
        System.out.printf(
            "etcd %s: %d writes acknowledged, %d refused, none lost; writes"
                + " acknowledged again %d ms after etcd was back; the agent programmed the last"
                + " one%n",
            how, acknowledged.size(), refused.get(), recoveredMillis);
      } finally {
        stop.set(true);
        writer.join(10_000);
      }
    }
  }
}
