package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.port;
import static dev.switchboard.agent.it.AgentCluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.NodeAgent;
import dev.switchboard.telemetry.MetricsServer;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One trace per change, from the Admin API call to every node that programs it: real etcd, a real
 * control plane and three real agents in this JVM, each with its own SDK writing to one in-memory
 * exporter. Also: a span per forwarded connection, and /metrics as Prometheus text whose
 * network-programming histogram counts every applied change.
 */
@Timeout(90)
class TracingTest {
  private static final String[] NODES = {"n1", "n2", "n3"};
  private static final AttributeKey<String> SUBSCRIBER =
      AttributeKey.stringKey("switchboard.subscriber");
  private static final String LATENCY_COUNT =
      "switchboard_network_programming_duration_seconds_count";

  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static EtcdProcess etcd;
  private static AgentCluster cluster;
  private static Telemetry controlPlaneTelemetry;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    cluster =
        new AgentCluster(
            etcd,
            component -> {
              if (component.equals("control-plane")) {
                controlPlaneTelemetry = Telemetry.forTesting("switchboard-control-plane", spans);
                return controlPlaneTelemetry;
              }
              return Telemetry.forTesting("switchboard-node-agent", spans);
            });
    cluster.startControlPlane();
    for (int i = 0; i < NODES.length; i++) {
      cluster.startAgent(NODES[i], "127.0.1." + (i + 1));
    }
    await().atMost(WAIT).until(() -> cluster.agents.stream().allMatch(NodeAgent::ready));
    cluster.awaitProgrammed(cluster.currentRevision()); // every node has seen every node
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void creatingAServiceIsOneTraceFromTheApiCallToEveryAgentsApply() {
    Service created = cluster.apply(service("traced", "NodePort", port("http", "TCP", 8080, 0)));
    cluster.awaitProgrammed(created.getMetadata().getResourceVersion());

    SpanData api =
        await().atMost(WAIT).until(() -> find("switchboard.v1.Admin/ApplyService"), s -> s != null);
    String trace = api.getTraceId();
    List<SpanData> applies =
        await().atMost(WAIT).until(() -> inTrace(trace, "apply"), l -> l.size() == NODES.length);
    assertThat(applies)
        .extracting(s -> s.getAttributes().get(SUBSCRIBER))
        .containsExactlyInAnyOrder(NODES);

    SpanData txn =
        inTrace(trace, "etcd txn").stream()
            .filter(s -> s.getParentSpanId().equals(api.getSpanId()))
            .findFirst()
            .orElseThrow();
    List<SpanData> pushes = inTrace(trace, "discovery push");
    assertThat(pushes)
        .as("one push per agent (the load balancer role is not told of NodePorts)")
        .extracting(s -> s.getAttributes().get(SUBSCRIBER))
        .containsExactlyInAnyOrder(NODES);
    assertThat(pushes).allSatisfy(p -> assertThat(p.getParentSpanId()).isEqualTo(txn.getSpanId()));
    Map<String, String> pushByNode =
        pushes.stream()
            .collect(Collectors.toMap(p -> p.getAttributes().get(SUBSCRIBER), SpanData::getSpanId));
    assertThat(applies)
        .allSatisfy(
            a ->
                assertThat(a.getParentSpanId())
                    .as("apply on %s is the child of its push", a.getAttributes().get(SUBSCRIBER))
                    .isEqualTo(pushByNode.get(a.getAttributes().get(SUBSCRIBER))));
    assertThat(applies)
        .allSatisfy(
            a ->
                assertThat(a.getResource().getAttribute(AttributeKey.stringKey("service.name")))
                    .isEqualTo("switchboard-node-agent"));
  }

  @Test
  void metricsAreStrictPrometheusTextAndTheLatencyHistogramCountsEveryAppliedChange() {
    NodeAgent agent = cluster.agents.get(0);
    double before = PrometheusText.value(PrometheusText.parse(scrape(agent)), LATENCY_COUNT);
    long version = 0;
    for (int i = 0; i < 3; i++) {
      version =
          cluster
              .apply(service("counted-" + i, "ClusterIP", port("http", "TCP", 8080, 0)))
              .getMetadata()
              .getResourceVersion();
      cluster.awaitProgrammed(version);
    }
    Map<String, Double> after = PrometheusText.parse(scrape(agent));
    assertThat(PrometheusText.value(after, LATENCY_COUNT) - before).isEqualTo(3.0);
    assertThat(after)
        .containsKey("switchboard_network_programming_duration_seconds_bucket{le=\"+Inf\"}");
    assertThat(after.keySet())
        .anyMatch(k -> k.startsWith("switchboard_discovery_batches_applied_total"));
  }

  @Test
  void everyForwardedConnectionIsASpanWithBytesAndEndpoint() throws Exception {
    try (TcpBackend backend = new TcpBackend("pod-1", "127.0.10.21")) {
      String name = "conn-" + ThreadLocalRandom.current().nextInt(1000);
      Service svc = cluster.apply(service(name, "NodePort", port("http", "TCP", 8080, 0)));
      long v =
          cluster
              .apply(
                  AgentCluster.pod(
                      name + "-1", name, "127.0.10.21", "n1", "http", "TCP", backend.port()))
              .getMetadata()
              .getResourceVersion();
      cluster.awaitProgrammed(v);
      int nodePort = svc.getSpec().getPorts(0).getNodePort();
      try (Net.Conn c = Net.Conn.open(Net.addr("127.0.1.2", nodePort), null)) {
        assertThat(c.name).isEqualTo("pod-1");
        assertThat(c.echo("hello")).isEqualTo("pod-1:hello");
      }
      SpanData span =
          await()
              .atMost(WAIT)
              .until(() -> find("forward TCP default/" + name + ":http"), s -> s != null);
      assertThat(span.getAttributes().get(AttributeKey.stringKey("network.peer.address")))
          .isEqualTo("127.0.10.21");
      assertThat(span.getAttributes().get(AttributeKey.longKey("switchboard.bytes_to_client")))
          .isPositive();
      assertThat(span.getAttributes().get(AttributeKey.longKey("switchboard.bytes_from_client")))
          .isPositive();
      assertThat(span.getAttributes().get(AttributeKey.stringKey("switchboard.outcome")))
          .isEqualTo("completed");
      Map<String, Double> metrics = PrometheusText.parse(scrape(cluster.agents.get(1)));
      assertThat(
              metrics.get(
                  "switchboard_connections_opened_total{listener=\"default/" + name + ":http\"}"))
          .isEqualTo(1.0);
    }
  }

  @Test
  void theControlPlanesMetricsServerServesStrictPrometheusText() throws Exception {
    cluster.apply(service("metered", "ClusterIP", port("http", "TCP", 8080, 0)));
    try (MetricsServer server =
        MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), controlPlaneTelemetry)) {
      String endpoints =
          "switchboard_service_endpoints{condition=\"ready\",namespace=\"default\",service=\"metered\"}";
      Map<String, Double> metrics =
          await()
              .atMost(WAIT)
              .until(
                  () -> {
                    Net.Http r = Net.get(server.address(), "/metrics");
                    assertThat(r.status()).isEqualTo(200);
                    return PrometheusText.parse(r.body());
                  },
                  m -> m.containsKey(endpoints));
      assertThat(metrics.get(endpoints)).isEqualTo(0.0);
      assertThat(metrics.get("switchboard_discovery_subscribers{role=\"AGENT\"}")).isEqualTo(3.0);
      assertThat(metrics.keySet())
          .anyMatch(k -> k.startsWith("switchboard_etcd_request_duration_seconds_count"));
      assertThat(metrics.keySet())
          .anyMatch(k -> k.startsWith("switchboard_discovery_pushes_total"));
      assertThat(Net.get(server.address(), "/other").status()).isEqualTo(404);
    }
  }

  private static String scrape(NodeAgent agent) {
    Net.Http r = Net.get(agent.adminAddress(), "/metrics");
    assertThat(r.status()).isEqualTo(200);
    return r.body();
  }

  private static SpanData find(String name) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  private static List<SpanData> inTrace(String traceId, String name) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getTraceId().equals(traceId) && s.getName().equals(name))
        .toList();
  }
}
