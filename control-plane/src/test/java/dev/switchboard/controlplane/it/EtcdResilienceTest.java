package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Role;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The control plane outlives etcd restarts and compactions past its watch. */
class EtcdResilienceTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void keepsServingAfterEtcdRestartsAndSubscribersSeeLaterChanges() {
    try (EtcdProcess etcd = EtcdProcess.start();
        Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      admin.applyService(
          ApplyServiceRequest.newBuilder().setService(service("web", "NodePort", 80)).build());
      TestSubscriber agent =
          TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await()
          .atMost(WAIT)
          .until(() -> agent.state.containsKey(new ResourceId(Kind.SERVICE, "default", "web")));

      etcd.kill();
      etcd.restart();

      // Writes succeed again once etcd is back (the client reconnects by itself).
      await()
          .atMost(WAIT)
          .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
          .until(
              () ->
                  admin.applyService(
                          ApplyServiceRequest.newBuilder()
                              .setService(service("after", "ClusterIP", 80))
                              .build())
                      != null);
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(pod("web-1", "web", "127.0.10.1", "n1", true))
              .build());
      // The cache's watch resumed: the change reaches the subscriber.
      await()
          .atMost(WAIT)
          .until(
              () ->
                  agent.state.containsKey(new ResourceId(Kind.SERVICE, "default", "after"))
                      && agent
                              .state
                              .get(new ResourceId(Kind.ENDPOINTS, "default", "web"))
                              .getEndpoints()
                              .getEndpointsCount()
                          == 1);
      agent.close();
    }
  }

  @Test
  void relistsAfterACompactionPastItsWatchAndMissesNothing() {
    try (EtcdProcess etcd = EtcdProcess.start();
        Cluster cluster = new Cluster(etcd);
        EtcdStore store = cluster.store()) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      TestSubscriber agent =
          TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await().atMost(WAIT).until(() -> agent.version > 0);
      int relists = cp.cache().relistCount();

      // Stop etcd, change things behind the replica's back from another "replica" is not
      // possible while it is down; instead: kill etcd, restart it, write and compact at once,
      // so the replica's watch resumes from a revision that no longer exists.
      etcd.kill();
      etcd.restart();
      for (int i = 0; i < 5; i++) {
        writeDirect(store, i);
      }
      store.compact(store.currentRevision());

      await()
          .atMost(WAIT)
          .until(
              () ->
                  cp.cache().relistCount() > relists
                      || agent.state.containsKey(
                          new ResourceId(Kind.SERVICE, "default", "direct-4")));
      await()
          .atMost(WAIT)
          .until(
              () -> agent.state.containsKey(new ResourceId(Kind.SERVICE, "default", "direct-4")));
      admin.applyService(
          ApplyServiceRequest.newBuilder().setService(service("later", "ClusterIP", 80)).build());
      await()
          .atMost(WAIT)
          .until(() -> agent.state.containsKey(new ResourceId(Kind.SERVICE, "default", "later")));
      assertThat(agent.state).containsKey(new ResourceId(Kind.SERVICE, "default", "direct-0"));
      agent.close();
    }
  }

  private static void writeDirect(EtcdStore store, int i) {
    var s = service("direct-" + i, "ClusterIP", 80);
    s = s.toBuilder().setSpec(s.getSpec().toBuilder().setClusterIp("127.96.9." + (i + 1))).build();
    store.commit(
        new dev.switchboard.controlplane.store.Txn()
            .then(
                dev.switchboard.controlplane.store.Write.put(
                    "services/default/direct-" + i, s.toByteArray())));
  }
}
