package dev.switchboard.controlplane.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Node readiness across control-plane outages, on real replicas and a real etcd: a replica that
 * starts after every lease lapsed gives each node a full lease period before it publishes it not
 * ready, and a replica that shuts down leaves its agents' leases to lapse rather than revoking
 * them, so nodes that reach another replica in time never flap.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeLifecycleTest {
  /** etcd's smallest lease TTL is about 2 s; a short one keeps the test short. */
  private static final Duration TTL = Duration.ofSeconds(2);

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final ResourceId N1 = new ResourceId(Kind.NODE, "", "n1");
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
  void aReplicaStartingAfterEveryLeaseLapsedWaitsALeasePeriodBeforeANodeIsNotReady() {
    try (Cluster cluster = new Cluster(etcd).withNodeLeaseTtl(TTL)) {
      registerThenLoseTheControlPlane(cluster);

      long started = System.nanoTime();
      ControlPlane b = cluster.start();
      TestSubscriber lb =
          TestSubscriber.connect(cluster.channel(b), "lb", Role.LOAD_BALANCER, 0, null, false);
      await().atMost(WAIT).until(() -> lb.state.containsKey(N1));
      assertThat(ready(lb.state.get(N1))).as("n1 in the new replica's snapshot").isTrue();

      await().atMost(WAIT).until(() -> !ready(lb.state.get(N1)));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(millis)
          .as("ms from the new replica's start to n1 not ready")
          .isGreaterThanOrEqualTo(TTL.toMillis());
      try (EtcdStore store = cluster.store()) {
        assertThat(StoredObjects.node(store.get(Keys.node("n1")).orElseThrow()).getReady())
            .isFalse();
      }
    }
  }

  @Test
  void aNodeWhoseAgentReachesTheNewReplicaInTimeIsNeverNotReady() {
    try (Cluster cluster = new Cluster(etcd).withNodeLeaseTtl(TTL)) {
      TestSubscriber before = registerThenLoseTheControlPlane(cluster);

      long started = System.nanoTime();
      ControlPlane b = cluster.start();
      TestSubscriber lb =
          TestSubscriber.connect(cluster.channel(b), "lb", Role.LOAD_BALANCER, 0, null, false);
      TestSubscriber agent =
          TestSubscriber.connect(
              cluster.channel(b), "n1", Role.AGENT, before.version, before.state, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  b.discovery().subscribers().stream()
                      .anyMatch(s -> s.nodeName().equals("n1") && s.ackedVersion() > 0));
      // Past the new replica's grace, twice over: a wrong not-ready would have been sent by now.
      letTimePass(TTL.multipliedBy(2).minusNanos(System.nanoTime() - started));
      assertThat(nodeUpdates(lb))
          .as("n1 as the load balancer was told it")
          .isNotEmpty()
          .allMatch(NodeLifecycleTest::ready);
      agent.close();
    }
  }

  @Test
  void aReplicaShuttingDownLeavesItsAgentsTimeToReachAnotherReplica() {
    try (Cluster cluster = new Cluster(etcd).withNodeLeaseTtl(TTL)) {
      ControlPlane a = cluster.start();
      ControlPlane b = cluster.start();
      TestSubscriber lb =
          TestSubscriber.connect(cluster.channel(b), "lb", Role.LOAD_BALANCER, 0, null, false);
      TestSubscriber onA =
          TestSubscriber.connect(cluster.channel(a), "n1", Role.AGENT, 0, null, false);
      await().atMost(WAIT).until(() -> ready(lb.state.get(N1)));
      // B's own grace is over: from here on B alone decides, and at once.
      letTimePass(TTL);

      cluster.stop(a);
      TestSubscriber onB =
          TestSubscriber.connect(
              cluster.channel(b), "n1", Role.AGENT, onA.version, onA.state, false);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  b.discovery().subscribers().stream()
                      .anyMatch(s -> s.nodeName().equals("n1") && s.ackedVersion() > 0));
      // A's abandoned lease lapses within a TTL; had A revoked it, n1 would have flapped at once.
      letTimePass(TTL.plusMillis(500));
      assertThat(nodeUpdates(lb)).isNotEmpty().allMatch(NodeLifecycleTest::ready);

      // The agent itself going away is not waited for.
      onB.close();
      await().atMost(WAIT).until(() -> !ready(lb.state.get(N1)));
    }
  }

  /** n1 registers on a replica that then goes away; returns once n1's lease has lapsed. */
  private static TestSubscriber registerThenLoseTheControlPlane(Cluster cluster) {
    ControlPlane a = cluster.start();
    TestSubscriber agent =
        TestSubscriber.connect(cluster.channel(a), "n1", Role.AGENT, 0, null, false);
    await().atMost(WAIT).until(() -> ready(agent.state.get(N1)));
    cluster.stop(a);
    try (EtcdStore store = cluster.store()) {
      await("n1's lease lapses")
          .atMost(WAIT)
          .until(() -> store.get(Keys.nodeLease("n1")).isEmpty());
      // No replica was there to decide: the node object still says ready.
      assertThat(StoredObjects.node(store.get(Keys.node("n1")).orElseThrow()).getReady()).isTrue();
    }
    return agent;
  }

  /** The passing of time is what these cases are about: nothing to wait for but the clock. */
  private static void letTimePass(Duration duration) {
    if (!duration.isNegative() && !duration.isZero()) {
      await().pollDelay(duration).atMost(duration.plus(WAIT)).until(() -> true);
    }
  }

  private static List<Resource> nodeUpdates(TestSubscriber s) {
    return s.received.stream()
        .map(DiscoveryResponse::getResourcesList)
        .flatMap(List::stream)
        .filter(r -> r.hasNode() && r.getNode().getMetadata().getName().equals("n1"))
        .toList();
  }

  private static boolean ready(Resource node) {
    return node != null && node.getNode().getReady();
  }
}
