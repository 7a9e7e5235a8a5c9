package dev.switchboard.lb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.lb.CloudLb;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node dies under steady traffic from 60 client addresses. Bound: within 3 s of the death no new
 * connection goes to it, and no client connection started after that fails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration BOUND = Duration.ofSeconds(3);
  private static EtcdProcess etcd;
  private final ScheduledExecutorService clients = Executors.newSingleThreadScheduledExecutor();

  /**
   * One client connection: when it started (nanos since the kill; negative before) and what it got.
   */
  private record Attempt(long startedAfterKillNanos, String node) {}

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @AfterEach
  void stopClients() {
    clients.shutdownNow();
  }

  @Test
  void aNodeWhoseAgentStreamEndsGetsNoNewConnections() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Setup s = setUp(cluster, "127.0.2.21", 211);
      long kill = System.nanoTime();
      s.nodes.get(1).deregister(); // ready=false through the control plane; its port still answers
      List<Attempt> attempts = runClients(s.address, kill, BOUND.plusSeconds(2));

      long lastToDead =
          attempts.stream()
              .filter(a -> "n2".equals(a.node))
              .mapToLong(Attempt::startedAfterKillNanos)
              .max()
              .orElse(Long.MIN_VALUE);
      System.out.printf(
          "agent stream ended: last connection to the dead node started %d ms after the kill;"
              + " %d connections, %d failed%n",
          TimeUnit.NANOSECONDS.toMillis(lastToDead),
          attempts.size(),
          attempts.stream().filter(a -> a.node == null).count());
      assertThat(lastToDead).isLessThan(BOUND.toNanos());
      assertAllSucceededAfter(attempts, BOUND);
      // A node not ready is not checked either. (Not counted from the kill: until the LB learns of
      // it, tens of ms later, a check every 200 ms may still reach the node.)
      int acceptedAfterRun = s.nodes.get(1).accepted.get();
      Thread.sleep(1_000);
      assertThat(s.nodes.get(1).accepted.get())
          .as("connections to the not-ready node in 1 s without clients (checks every 200 ms)")
          .isEqualTo(acceptedAfterRun);
    }
  }

  @Test
  void aNodeWhosePortClosesIsEjectedAndItsClientsRetryElsewhere() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Setup s = setUp(cluster, "127.0.2.22", 214);
      ServiceName key = new ServiceName("default", "web");
      long kill = System.nanoTime();
      s.nodes.get(1).stopTcp(); // still ready in the stream: only the checks can tell
      AtomicInteger failuresAtBound = new AtomicInteger(-1);
      clients.schedule(
          () -> failuresAtBound.set(connectFailures(s.lb, key)),
          BOUND.toMillis(),
          TimeUnit.MILLISECONDS);
      List<Attempt> attempts = runClients(s.address, kill, BOUND.plusSeconds(2));

      long failed = attempts.stream().filter(a -> a.node == null).count();
      System.out.printf(
          "node port closed: %d connections, %d failed (all were open on the node when it died:"
              + " %d); connect failures seen by the LB: %d by %d ms, %d at the end%n",
          attempts.size(),
          failed,
          attempts.stream().filter(a -> a.node == null && a.startedAfterKillNanos < 0).count(),
          failuresAtBound.get(),
          BOUND.toMillis(),
          connectFailures(s.lb, key));
      assertAllSucceededAfter(
          attempts, Duration.ZERO); // retries hide the dead node from new clients
      assertThat(failuresAtBound.get()).isGreaterThanOrEqualTo(0);
      assertThat(connectFailures(s.lb, key))
          .isEqualTo(failuresAtBound.get()); // nothing tried it after 3 s
      await()
          .atMost(WAIT)
          .until(
              () ->
                  s.lb.inspect(
                      b ->
                          b.listeners(key).get(0).target().endpoints().stream()
                                  .filter(e -> e.ready())
                                  .count()
                              == 2));
    }
  }

  /**
   * Every node not ready at once is the control plane's problem (a replica that came back after an
   * outage, say), not three dead nodes: the nodes that pass cloud-lb's own checks keep serving.
   */
  @Test
  void everyNodeTurningNotReadyAtOnceLeavesTheChecksToDecide() throws Exception {
    try (LbCluster cluster = new LbCluster(etcd)) {
      Setup s = setUp(cluster, "127.0.2.23", 217);
      ServiceName key = new ServiceName("default", "web");
      long kill = System.nanoTime();
      s.nodes.forEach(StandInNode::deregister);
      await().atMost(WAIT).until(() -> s.lb.inspect(b -> b.readinessIgnored()));
      s.nodes.get(1).stopTcp(); // from here its check alone can take n2 out
      List<Attempt> attempts = runClients(s.address, kill, BOUND.plusSeconds(2));

      assertThat(attempts)
          .as("every connection, all nodes not ready")
          .allSatisfy(a -> assertThat(a.node).isNotNull());
      assertAllSucceededAfter(attempts, BOUND);
      assertThat(attempts.stream().filter(a -> "n1".equals(a.node))).isNotEmpty();
      assertThat(attempts.stream().filter(a -> "n3".equals(a.node))).isNotEmpty();
      Set<String> passing = s.lb.inspect(b -> b.passingNodes(key));
      assertThat(passing).containsExactlyInAnyOrder("n1", "n3");
    }
  }

  private record Setup(InetSocketAddress address, List<StandInNode> nodes, CloudLb lb) {}

  private static Setup setUp(LbCluster cluster, String ip, int firstNode) throws Exception {
    Service.Builder spec = LbCluster.lbService("web", false);
    spec.getSpecBuilder().setLoadBalancerIp(ip);
    Service web = cluster.apply(spec.build());
    int nodePort = web.getSpec().getPorts(0).getNodePort();
    List<StandInNode> nodes =
        List.of(
            cluster.node("n1", firstNode).serveTcp(nodePort),
            cluster.node("n2", firstNode + 1).serveTcp(nodePort),
            cluster.node("n3", firstNode + 2).serveTcp(nodePort));
    CloudLb lb = cluster.loadBalancer("lb");
    ServiceName key = new ServiceName("default", "web");
    // Every node passes its check (a count of ready nodes would also hold in panic).
    await()
        .atMost(WAIT)
        .until(
            () -> lb.inspect(b -> b.listeners(key).size() == 1 && b.passingNodes(key).size() == 3));
    return new Setup(new InetSocketAddress(ip, 80), nodes, lb);
  }

  /** Connections from 60 addresses in turn, one every 5 ms, for {@code length} after the kill. */
  private List<Attempt> runClients(InetSocketAddress to, long kill, Duration length)
      throws Exception {
    List<Attempt> attempts = new CopyOnWriteArrayList<>();
    AtomicInteger n = new AtomicInteger();
    clients.scheduleAtFixedRate(
        () -> {
          String client = "127.0.31." + (1 + n.getAndIncrement() % 60);
          long start = System.nanoTime() - kill;
          attempts.add(new Attempt(start, Clients.firstLineOrNull(client, to)));
        },
        0,
        5,
        TimeUnit.MILLISECONDS);
    long end = kill + length.toNanos();
    await().atMost(length.plusSeconds(10)).until(() -> System.nanoTime() > end);
    clients.shutdown();
    assertThat(clients.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    return attempts;
  }

  private static void assertAllSucceededAfter(List<Attempt> attempts, Duration after) {
    assertThat(attempts.stream().filter(a -> a.startedAfterKillNanos >= after.toNanos()))
        .isNotEmpty()
        .allSatisfy(
            a ->
                assertThat(a.node)
                    .as(
                        "connection started %d ms after the kill",
                        TimeUnit.NANOSECONDS.toMillis(a.startedAfterKillNanos))
                    .isIn("n1", "n3"));
  }

  private static int connectFailures(CloudLb lb, ServiceName key) {
    return lb.inspect(
        b ->
            b.listeners(key).stream()
                .map(Listener::stats)
                .mapToInt(st -> (int) st.connectFailures())
                .sum());
  }
}
