package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many subscribers resuming from one version (what a control-plane restart looks like) share one
 * read of the old state; each must still get the whole difference, including changes made after the
 * first of them resumed.
 */
class ResumeFromOneVersionTest {
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
  void everySubscriberResumingFromOneVersionConvergesOnThePublishedState() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane a = cluster.start();
      ControlPlane b = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(a);
      for (int i = 0; i < 10; i++) {
        admin.applyService(
            ApplyServiceRequest.newBuilder()
                .setService(service("svc-" + i, "ClusterIP", 80))
                .build());
        admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(pod("pod-" + i, "svc-" + i, "127.0.10." + (i + 1), "n1", true))
                .build());
      }
      TestSubscriber first =
          TestSubscriber.connect(cluster.channel(a), "n1", Role.AGENT, 0, null, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  first.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "svc-9"))
                      && first.state.containsKey(new ResourceId(Kind.NODE, "", "n1")));
      long version = first.version;
      Map<ResourceId, Resource> held = new HashMap<>(first.state);
      first.close();

      // Changed while away: svc-7 gains a pod.
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(pod("pod-extra", "svc-7", "127.0.10.99", "n2", true))
              .build());
      TestSubscriber early =
          TestSubscriber.connect(cluster.channel(b), "r0", Role.AGENT, version, held, false);
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(early.state).isEqualTo(b.published().snapshot()));

      // Changed after the first resume from that version: svc-3 loses its pod, svc-new appears.
      admin.deletePod(DeleteRequest.newBuilder().setNamespace("default").setName("pod-3").build());
      admin.applyService(
          ApplyServiceRequest.newBuilder().setService(service("svc-new", "NodePort", 81)).build());
      List<TestSubscriber> late = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        late.add(
            TestSubscriber.connect(cluster.channel(b), "r" + i, Role.AGENT, version, held, false));
      }
      for (TestSubscriber s : late) {
        await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(s.state).isEqualTo(b.published().snapshot()));
        assertThat(s.received.peek().getSnapshot()).isFalse();
      }
      assertThat(
              late.get(0)
                  .state
                  .get(new ResourceId(Kind.ENDPOINTS, "default", "svc-3"))
                  .getEndpoints()
                  .getEndpointsCount())
          .isZero();
      assertThat(early.state).isEqualTo(b.published().snapshot());
      late.forEach(TestSubscriber::close);
      early.close();
    }
  }
}
