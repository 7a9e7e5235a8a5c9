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
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.GetRequest;
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
import org.junit.jupiter.api.Timeout;

/** The Discovery stream against real replicas on a real etcd. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
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
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(pod("web-1", "web", "127.0.10.1", "n1", true))
              .build());

      TestSubscriber agent =
          TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  agent.state.containsKey(new ResourceId(Kind.NODE, "", "n1"))
                      && agent.state.get(new ResourceId(Kind.NODE, "", "n1")).getNode().getReady()
                      && agent.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "web")));
      DiscoveryResponse first = agent.received.peek();
      assertThat(first.getSnapshot()).isTrue();
      assertThat(agent.state)
          .containsKeys(
              new ResourceId(Kind.SERVICE, "default", "web"),
              new ResourceId(Kind.SERVICE, "default", "db"),
              new ResourceId(Kind.ENDPOINTS, "default", "db"));
      assertThat(
              agent
                  .state
                  .get(new ResourceId(Kind.ENDPOINTS, "default", "web"))
                  .getEndpoints()
                  .getEndpointsList())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getAddress()).isEqualTo("127.0.10.1");
                assertThat(e.getConditions().getReady()).isTrue();
                assertThat(e.getPorts(0).getPort()).isEqualTo(80);
              });
      await()
          .atMost(WAIT)
          .until(
              () ->
                  cp.discovery().subscribers().stream()
                      .anyMatch(s -> s.ackedVersion() == agent.version && agent.version > 0));

      agent.close();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  admin.listNodes(ListRequest.getDefaultInstance()).getItemsList().stream()
                      .noneMatch(n -> n.getReady()));
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
        admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(pod("pod-" + i, "svc-" + i, "127.0.10." + (i + 1), "n1", true))
                .build());
      }
      // A load balancer's view (LoadBalancer services and nodes) is empty here; an agent's is not.
      TestSubscriber first =
          TestSubscriber.connect(cluster.channel(a), "n1", Role.AGENT, 0, null, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  first.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "svc-19"))
                      && first.version > 0);
      await()
          .atMost(WAIT)
          .until(() -> first.state.get(new ResourceId(Kind.NODE, "", "n1")) != null);
      long version = first.version;
      Map<ResourceId, Resource> held = new HashMap<>(first.state);
      first.close();

      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(pod("pod-extra", "svc-7", "127.0.10.99", "n2", true))
              .build());

      TestSubscriber resumed =
          TestSubscriber.connect(cluster.channel(b), "n1", Role.AGENT, version, held, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  resumed
                          .state
                          .get(new ResourceId(Kind.ENDPOINTS, "default", "svc-7"))
                          .getEndpoints()
                          .getEndpointsCount()
                      == 2);
      DiscoveryResponse firstReply = resumed.received.peek();
      assertThat(firstReply.getSnapshot()).isFalse();
      // Only what changed while away: svc-7's endpoints, and at most this node's readiness.
      assertThat(firstReply.getResourcesList())
          .allSatisfy(
              r ->
                  assertThat(
                          r.hasNode()
                              || (r.hasEndpoints()
                                  && r.getEndpoints().getMetadata().getName().equals("svc-7")))
                      .isTrue());
      assertThat(firstReply.getResourcesList()).anyMatch(Resource::hasEndpoints);
      assertThat(firstReply.getRemovedList()).isEmpty();
      // After applying the difference the resumed subscriber holds exactly what B publishes.
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(resumed.state).isEqualTo(b.published().snapshot()));
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
        admin.applyPod(
            ApplyPodRequest.newBuilder()
                .setPod(pod("pod-" + i, "svc-" + i, "127.0.10." + (i + 1), "n1", false))
                .build());
      }
      TestSubscriber agent =
          TestSubscriber.connect(cluster.channel(cp), "n1", Role.AGENT, 0, null, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  agent.state.containsKey(new ResourceId(Kind.ENDPOINTS, "default", "svc-49"))
                      && agent.state.containsKey(new ResourceId(Kind.NODE, "", "n1"))
                      && agent.state.get(new ResourceId(Kind.NODE, "", "n1")).getNode().getReady());
      await().atMost(WAIT).until(() -> agent.received.poll(100, TimeUnit.MILLISECONDS) == null);

      admin.setPodConditions(
          SetPodConditionsRequest.newBuilder()
              .setNamespace("default")
              .setName("pod-3")
              .setReady(true)
              .build());
      DiscoveryResponse delta = agent.received.poll(10, TimeUnit.SECONDS);
      assertThat(delta).isNotNull();
      assertThat(delta.getSnapshot()).isFalse();
      assertThat(delta.getRemovedList()).isEmpty();
      assertThat(delta.getResourcesList())
          .singleElement()
          .satisfies(
              r -> {
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
      TestSubscriber stalled =
          TestSubscriber.connect(cluster.channel(cp), "slow", Role.AGENT, 0, null, true);
      TestSubscriber live =
          TestSubscriber.connect(cluster.channel(cp), "fast", Role.AGENT, 0, null, false);
      // Enough data to fill the stalled stream's flow-control window several times over.
      for (int i = 0; i < 60; i++) {
        applyAnnotated(admin, "svc-" + i, "blob", "x".repeat(60_000));
      }
      await()
          .atMost(WAIT)
          .until(() -> live.state.containsKey(new ResourceId(Kind.SERVICE, "default", "svc-59")));
      applyService(admin, service("after", "ClusterIP", 80));
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> live.state.containsKey(new ResourceId(Kind.SERVICE, "default", "after")));

      List<SubscriberStatus> status = cp.discovery().subscribers();
      SubscriberStatus slow =
          status.stream().filter(s -> s.nodeName().equals("slow")).findFirst().orElseThrow();
      assertThat(slow.ackedVersion()).isZero();
      // Its backlog is coalesced: at most one entry per published object.
      assertThat(slow.pending()).isLessThanOrEqualTo(cp.published().snapshot().size());
      assertThat(stalled.received).isEmpty();
      stalled.cancel();
      live.close();
    }
  }

  @Test
  void caughtUpSubscribersReceiveByteIdenticalDeltas() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      applyService(admin, service("web", "NodePort", 80));
      admin.applyPod(
          ApplyPodRequest.newBuilder()
              .setPod(pod("web-1", "web", "127.0.10.1", "n1", true))
              .build());
      RawSubscriber a = RawSubscriber.connect(cluster.channel(cp), "n1");
      RawSubscriber b = RawSubscriber.connect(cluster.channel(cp), "n2");
      long settled = cp.published().version();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  a.version() >= settled
                      && b.version() >= settled
                      && acked(cp, "n1", "n2", cp.published().version()));
      int aBefore = a.frames.size();
      int bBefore = b.frames.size();

      admin.setPodConditions(
          SetPodConditionsRequest.newBuilder()
              .setNamespace("default")
              .setName("web-1")
              .setReady(false)
              .build());
      long flipped =
          admin
              .getPod(GetRequest.newBuilder().setNamespace("default").setName("web-1").build())
              .getMetadata()
              .getResourceVersion();
      await().atMost(WAIT).until(() -> a.version() >= flipped && b.version() >= flipped);

      List<byte[]> toA = a.frames.subList(aBefore, a.frames.size());
      List<byte[]> toB = b.frames.subList(bBefore, b.frames.size());
      assertThat(toA).hasSameSizeAs(toB).isNotEmpty();
      for (int i = 0; i < toA.size(); i++) {
        assertThat(toA.get(i)).isEqualTo(toB.get(i));
      }
      DiscoveryResponse delta = RawSubscriber.parse(toA.get(toA.size() - 1));
      assertThat(delta.getSnapshot()).isFalse();
      assertThat(delta.getVersion()).isEqualTo(flipped);
      assertThat(delta.getResourcesList())
          .singleElement()
          .satisfies(
              r ->
                  assertThat(r.getEndpoints().getEndpoints(0).getConditions().getReady())
                      .isFalse());
      // Each subscriber is still counted for what it was sent.
      assertThat(cp.discovery().subscribers())
          .extracting(SubscriberStatus::bytesSent)
          .allMatch(bytes -> bytes > 0);
      a.close();
      b.close();
    }
  }

  @Test
  void freshSubscribersAtOneVersionReceiveByteIdenticalSnapshots() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      applyService(admin, service("edge", "LoadBalancer", 80));
      long settled = cp.published().version();
      // Load balancers hold no node lease: subscribing changes nothing, both start at one version.
      RawSubscriber a = RawSubscriber.connect(cluster.channel(cp), "lb-a", Role.LOAD_BALANCER);
      RawSubscriber b = RawSubscriber.connect(cluster.channel(cp), "lb-b", Role.LOAD_BALANCER);
      await().atMost(WAIT).until(() -> a.version() >= settled && b.version() >= settled);
      assertThat(a.version()).isEqualTo(b.version());
      assertThat(a.frames).hasSameSizeAs(b.frames);
      for (int i = 0; i < a.frames.size(); i++) {
        assertThat(a.frames.get(i)).isEqualTo(b.frames.get(i));
      }
      DiscoveryResponse snapshot = RawSubscriber.parse(a.frames.get(0));
      assertThat(snapshot.getSnapshot()).isTrue();
      assertThat(snapshot.getResourcesList())
          .anySatisfy(r -> assertThat(r.getService().getMetadata().getName()).isEqualTo("edge"));
      a.close();
      b.close();
    }
  }

  @Test
  void aSlowSubscriberConvergesToTheLatestStateOfEachObject() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      TestSubscriber slow =
          TestSubscriber.connect(cluster.channel(cp), "slow", Role.AGENT, 0, null, true);
      TestSubscriber fast =
          TestSubscriber.connect(cluster.channel(cp), "fast", Role.AGENT, 0, null, false);
      // Fill the slow stream's flow-control window, so what follows queues on the server.
      for (int i = 0; i < 40; i++) {
        applyAnnotated(admin, "svc-" + i, "blob", "x".repeat(60_000));
      }
      await().atMost(WAIT).until(() -> pending(cp, "slow") > 0);
      // The same objects change again and again while it is stalled; one goes away.
      for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 3; i++) {
          applyAnnotated(admin, "svc-" + i, "round", Integer.toString(round));
        }
      }
      admin.deleteService(
          DeleteRequest.newBuilder().setNamespace("default").setName("svc-39").build());
      long last = cp.published().version();
      await().atMost(WAIT).until(() -> fast.version >= last);
      assertThat(slow.version).isZero();
      assertThat(pending(cp, "slow")).isLessThanOrEqualTo(cp.published().snapshot().size());

      slow.resume();
      await()
          .atMost(WAIT)
          .until(
              () ->
                  slow.version >= cp.published().version()
                      && fast.version >= cp.published().version());
      assertThat(slow.state).isEqualTo(cp.published().snapshot());
      assertThat(slow.state).isEqualTo(fast.state);
      assertThat(
              slow.state
                  .get(new ResourceId(Kind.SERVICE, "default", "svc-0"))
                  .getService()
                  .getMetadata()
                  .getAnnotationsMap())
          .containsEntry("round", "5");
      assertThat(slow.state).doesNotContainKey(new ResourceId(Kind.SERVICE, "default", "svc-39"));
      assertThat(slow.errors).isEmpty();
      slow.close();
      fast.close();
    }
  }

  private static int pending(ControlPlane cp, String node) {
    return cp.discovery().subscribers().stream()
        .filter(s -> s.nodeName().equals(node))
        .mapToInt(SubscriberStatus::pending)
        .sum();
  }

  private static boolean acked(ControlPlane cp, String first, String second, long version) {
    return cp.discovery().subscribers().stream()
            .filter(s -> s.nodeName().equals(first) || s.nodeName().equals(second))
            .filter(s -> s.ackedVersion() >= version)
            .count()
        == 2;
  }

  /** A ClusterIP service on port 80 with one annotation. */
  private static void applyAnnotated(
      AdminGrpc.AdminBlockingStub admin, String name, String key, String value) {
    Service s = service(name, "ClusterIP", 80);
    applyService(
        admin,
        s.toBuilder().setMetadata(s.getMetadata().toBuilder().putAnnotations(key, value)).build());
  }

  private static void applyService(AdminGrpc.AdminBlockingStub admin, Service s) {
    admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
  }
}
