package dev.switchboard.lb.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.lb.nodes.HealthOptions;
import dev.switchboard.lb.nodes.NodeHealth;
import dev.switchboard.lb.nodes.Probe;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which nodes serve a port: ready and passing its checks; every ready node when none passes. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NodeBackendsTest {
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

  /** Node name → failure answered by its check; absent passes. */
  private final Map<String, String> failing = new ConcurrentHashMap<>();

  private final Probe probe =
      (t, timeout) -> CompletableFuture.completedFuture(failing.get(t.node()));
  private final NodeHealth health =
      new NodeHealth(
          new HealthOptions(
              Duration.ofMillis(20), Duration.ofMillis(20), 1, 1, Duration.ofSeconds(30), 1.0),
          probe,
          executor,
          () -> {});
  private final ServicePlan plan =
      ServicePlan.of(
          Service.newBuilder()
              .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
              .setSpec(
                  ServiceSpec.newBuilder()
                      .setType("LoadBalancer")
                      .setLoadBalancerIp("127.0.2.7")
                      .setExternalTrafficPolicy("Cluster")
                      .addPorts(
                          ServicePort.newBuilder()
                              .setName("http")
                              .setProtocol("TCP")
                              .setPort(80)
                              .setNodePort(30080)))
              .build());
  private final ServicePlan.PortPlan port = plan.ports().get(0);
  private final List<NodeBackends.NodeAddress> nodes =
      List.of(
          node("node-1", "127.0.1.1", true),
          node("node-2", "127.0.1.2", true),
          node("node-3", "127.0.1.3", false));

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void onlyReadyNodesThatPassTheirChecksServe() throws Exception {
    failing.put("node-2", "connection refused");
    watchAll();
    await().atMost(Duration.ofSeconds(5)).until(() -> serving().equals(Set.of("node-1")));
    assertThat(serving()).containsExactly("node-1");
  }

  @Test
  void whenNoReadyNodePassesEveryReadyNodeServes() throws Exception {
    failing.put("node-1", "connection refused");
    failing.put("node-2", "connection refused");
    failing.put("node-3", "connection refused");
    watchAll();
    // Not checked yet, or failing: no node passes, so the ready ones serve rather than none.
    assertThat(serving()).containsExactlyInAnyOrder("node-1", "node-2");
    failing.remove("node-2");
    await().atMost(Duration.ofSeconds(5)).until(() -> serving().equals(Set.of("node-2")));
  }

  @Test
  void aPassivelyEjectedNodeIsSkippedWhileAnotherPasses() throws Exception {
    watchAll();
    await().atMost(Duration.ofSeconds(5)).until(() -> serving().equals(Set.of("node-1", "node-2")));
    health.connectFailed("node-1", new InetSocketAddress("127.0.1.1", 30080));
    await().atMost(Duration.ofSeconds(5)).until(() -> serving().equals(Set.of("node-2")));
  }

  @Test
  void oneNodeNotReadyIsDroppedEvenThoughItPassesItsCheck() throws Exception {
    watchAll();
    await().atMost(Duration.ofSeconds(5)).until(() -> serving().equals(Set.of("node-1", "node-2")));
    assertThat(on(() -> NodeBackends.usable(plan, port, nodes.get(2), health))).isFalse();
    NodeBackends.Nodes fromStream =
        NodeBackends.nodes(
            List.of(proto("node-1", true), proto("node-2", true), proto("node-3", false)),
            1.0,
            new ArrayList<>());
    assertThat(fromStream.readinessIgnored()).isFalse();
    assertThat(fromStream.list()).isEqualTo(nodes);
  }

  @Test
  void everyNodeNotReadyAtOnceIsIgnoredAndTheChecksAloneDecide() throws Exception {
    failing.put("node-2", "connection refused");
    NodeBackends.Nodes all =
        NodeBackends.nodes(
            List.of(proto("node-1", false), proto("node-2", false), proto("node-3", false)),
            1.0,
            new ArrayList<>());
    assertThat(all.readinessIgnored()).isTrue();
    assertThat(all.notReady()).isEqualTo(3);
    watch(all.list());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> serving(all.list()).equals(Set.of("node-1", "node-3")));
  }

  @Test
  void aLowerThresholdIgnoresReadinessWhenThatShareIsNotReady() {
    List<Node> twoOfThree =
        List.of(proto("node-1", true), proto("node-2", false), proto("node-3", false));
    assertThat(NodeBackends.nodes(twoOfThree, 1.0, new ArrayList<>()).readinessIgnored()).isFalse();
    NodeBackends.Nodes at60 = NodeBackends.nodes(twoOfThree, 0.6, new ArrayList<>());
    assertThat(at60.readinessIgnored()).isTrue();
    assertThat(at60.list()).allMatch(NodeBackends.NodeAddress::ready);
    assertThat(NodeBackends.nodes(twoOfThree, 0.7, new ArrayList<>()).readinessIgnored()).isFalse();
  }

  private void watchAll() throws Exception {
    watch(nodes);
  }

  private void watch(List<NodeBackends.NodeAddress> nodes) throws Exception {
    on(
        () -> {
          health.want(
              nodes.stream()
                  .map(n -> NodeBackends.check(plan, port, n))
                  .collect(Collectors.toSet()));
          return null;
        });
  }

  private Set<String> serving() throws Exception {
    return serving(nodes);
  }

  private Set<String> serving(List<NodeBackends.NodeAddress> nodes) throws Exception {
    return on(
        () ->
            NodeBackends.endpoints(plan, port, nodes, health).stream()
                .filter(Endpoint::ready)
                .map(ep -> ep.nodeName().orElseThrow())
                .collect(Collectors.toSet()));
  }

  private <T> T on(Supplier<T> s) throws Exception {
    return CompletableFuture.supplyAsync(s, executor).get(5, TimeUnit.SECONDS);
  }

  private static Node proto(String name, boolean ready) {
    return Node.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name))
        .setAddress("127.0.1." + name.substring("node-".length()))
        .setReady(ready)
        .build();
  }

  private static NodeBackends.NodeAddress node(String name, String ip, boolean ready) {
    try {
      return new NodeBackends.NodeAddress(name, InetAddress.getByName(ip), ready);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
