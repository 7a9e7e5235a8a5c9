package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.discovery.DiscoveryService.SubscriberStatus;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.SetPodConditionsRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Discovery stream against real replicas on a real etcd. */
class DiscoveryTest {
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
  void newSubscriberGetsASnapshotAndItsNodeIsReadyWhileTheStreamLives() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      applyService(admin, service("web", "NodePort", 80));
      applyService(admin, service("db", "ClusterIP", 5432));
      admin.applyPod(ApplyPodRequest.newBuilder().setPod(pod("web-1", "web", "127.0.10.1", "n1", true)).build());

      TestSubscriber agent = TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await().atMost(WAIT).until(() -> agent.state.containsKey(new ResourceId(Kind.NODE, "", "n1"))
          && agent.state.get(new ResourceId(Kind.NODE, "", "n1")).getNode().getReady()
          && agent.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "web")));
      DiscoveryResponse first = agent.received.peek();
      assertThat(first.getSnapshot()).isTrue();
      assertThat(agent.state).containsKeys(
          new ResourceId(Kind.SERVICE, "default", "web"),
          new ResourceId(Kind.SERVICE, "default", "db"),
          new ResourceId(Kind.ENDPOINTS, "default", "db"));
      assertThat(agent.state.get(new ResourceId(Kind.ENDPOINTS, "default", "web")).getEndpoints()
          .getEndpointsList()).singleElement().satisfies(e -> {
            assertThat(e.getAddress()).isEqualTo("127.0.10.1");
            assertThat(e.getConditions().getReady()).isTrue();
            assertThat(e.getPorts(0).getPort()).isEqualTo(80);
          });
      await().atMost(WAIT).until(() -> cp.discovery().subscribers().stream()
          .anyMatch(s -> s.ackedVersion() == agent.version && agent.version > 0));

      agent.close();
      await().atMost(WAIT).until(() -> admin.listNodes(ListRequest.getDefaultInstance())
          .getItemsList().stream().noneMatch(n -> n.getReady()));
    }
  }

  @Test
  void reconnectingToTheOtherReplicaSendsOnlyTheDifference() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane a = cluster.start();
      ControlPlane b = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(a);
      for (int i = 0; i < 20; i++) {
        applyService(admin, service("svc-" + i, "ClusterIP", 80));
        admin.applyPod(ApplyPodRequest.newBuilder()
            .setPod(pod("pod-" + i, "svc-" + i, "127.0.10." + (i + 1), "n1", true)).build());
      }
      // A load balancer's view (LoadBalancer services and nodes) is empty here; an agent's is not.
      TestSubscriber first = TestSubscriber.connect(cluster.channel(a), "n1", Role.AGENT, 0, null, false);
      await().atMost(WAIT).until(() -> first.state.containsKey(
          new ResourceId(Kind.ENDPOINTS, "default", "svc-19")) && first.version > 0);
      await().atMost(WAIT).until(() -> first.state.get(new ResourceId(Kind.NODE, "", "n1")) != null);
      long version = first.version;
      Map<ResourceId, Resource> held = new HashMap<>(first.state);
      first.close();

      admin.applyPod(ApplyPodRequest.newBuilder()
          .setPod(pod("pod-extra", "svc-7", "127.0.10.99", "n2", true)).build());

      TestSubscriber resumed = TestSubscriber.connect(cluster.channel(b), "n1", Role.AGENT, version, held, false);
      await().atMost(WAIT).until(() -> resumed.state.get(new ResourceId(Kind.ENDPOINTS, "default", "svc-7"))
          .getEndpoints().getEndpointsCount() == 2);
      DiscoveryResponse firstReply = resumed.received.peek();
      assertThat(firstReply.getSnapshot()).isFalse();
      // Only what changed while away: svc-7's endpoints, and at most this node's readiness.
      assertThat(firstReply.getResourcesList()).allSatisfy(r ->
          assertThat(r.hasNode() || (r.hasEndpoints()
              && r.getEndpoints().getMetadata().getName().equals("svc-7"))).isTrue());
      assertThat(firstReply.getResourcesList()).anyMatch(Resource::hasEndpoints);
      assertThat(firstReply.getRemovedList()).isEmpty();
      // After applying the difference the resumed subscriber holds exactly what B publishes.
      await().atMost(WAIT).untilAsserted(() ->
          assertThat(resumed.state).isEqualTo(b.published().snapshot()));
      resumed.close();
    }
  }

  @Test
  void onePodTurningReadySendsOnlyItsServicesEndpoints() throws Exception {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      for (int i = 0; i < 50; i++) {
        applyService(admin, service("svc-" + i, "NodePort", 80));
        admin.applyPod(ApplyPodRequest.newBuilder()
            .setPod(pod("pod-" + i, "svc-" + i, "127.0.10." + (i + 1), "n1", false)).build());
      }
      TestSubscriber agent = TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await().atMost(WAIT).until(() -> agent.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "svc-49"))
          && agent.state.containsKey(new ResourceId(Kind.NODE, "", "n1"))
          && agent.state.get(new ResourceId(Kind.NODE, "", "n1")).getNode().getReady());
      await().atMost(WAIT).until(() -> agent.received.poll(100, TimeUnit.MILLISECONDS) == null);

      admin.setPodConditions(SetPodConditionsRequest.newBuilder().setNamespace("default")
          .setName("pod-3").setReady(true).build());
      DiscoveryResponse delta = agent.received.poll(10, TimeUnit.SECONDS);
      assertThat(delta).isNotNull();
      assertThat(delta.getSnapshot()).isFalse();
      assertThat(delta.getRemovedList()).isEmpty();
      assertThat(delta.getResourcesList()).singleElement().satisfies(r -> {
        assertThat(r.getEndpoints().getMetadata().getName()).isEqualTo("svc-3");
        assertThat(r.getEndpoints().getEndpoints(0).getConditions().getReady()).isTrue();
      });
      assertThat(delta.getSerializedSize()).isLessThan(1024);
      agent.close();
    }
  }

  @Test
  void aStalledSubscriberDoesNotDelayAnother() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      TestSubscriber stalled = TestSubscriber.connect(cluster.channel(cp), "slow", Role.AGENT, 0, null, true);
      TestSubscriber live = TestSubscriber.connect(cluster.channel(cp), "fast", Role.AGENT, 0, null, false);
      // Enough data to fill the stalled stream's flow-control window several times over.
      String big = "x".repeat(60_000);
      for (int i = 0; i < 60; i++) {
        Service s = service("svc-" + i, "ClusterIP", 80);
        applyService(admin, s.toBuilder().setMetadata(s.getMetadata().toBuilder()
            .putAnnotations("blob", big)).build());
      }
      await().atMost(WAIT).until(() -> live.state.containsKey(new ResourceId(Kind.SERVICE, "default", "svc-59")));
      applyService(admin, service("after", "ClusterIP", 80));
      await().atMost(Duration.ofSeconds(3)).until(() ->
          live.state.containsKey(new ResourceId(Kind.SERVICE, "default", "after")));

      List<SubscriberStatus> status = cp.discovery().subscribers();
      SubscriberStatus slow = status.stream().filter(s -> s.nodeName().equals("slow")).findFirst().orElseThrow();
      assertThat(slow.ackedVersion()).isZero();
      // Its backlog is coalesced: at most one entry per published object.
      assertThat(slow.pending()).isLessThanOrEqualTo(cp.published().snapshot().size());
      assertThat(stalled.received).isEmpty();
      stalled.cancel();
      live.close();
    }
  }

  private static void applyService(AdminGrpc.AdminBlockingStub admin, Service s) {
    admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
  }
}
