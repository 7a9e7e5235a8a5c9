package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.port;
import static dev.switchboard.agent.it.AgentCluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.NodeAgent;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Service;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same trace as {@link TracingTest}, but over the wire: every component configured only by
 * OTEL_* variables (OTLP/gRPC to a collector), and the collector is a real gRPC server in this test
 * implementing opentelemetry-proto's TraceService and MetricsService.
 */
@Timeout(90)
class OtlpExportTest {

  /** A span as received, with the service.name of its resource. */
  record Received(String service, Span span) {}

  @Test
  void spansAndMetricsArriveByOtlp() throws Exception {
    List<Received> received = new CopyOnWriteArrayList<>();
    Set<String> metricNames = ConcurrentHashMap.newKeySet();
    Server collector =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new TraceServiceGrpc.TraceServiceImplBase() {
                  @Override
                  public void export(
                      ExportTraceServiceRequest request,
                      StreamObserver<ExportTraceServiceResponse> response) {
                    for (ResourceSpans rs : request.getResourceSpansList()) {
                      String service =
                          rs.getResource().getAttributesList().stream()
                              .filter(a -> a.getKey().equals("service.name"))
                              .map(a -> a.getValue().getStringValue())
                              .findFirst()
                              .orElse("");
                      rs.getScopeSpansList()
                          .forEach(
                              ss ->
                                  ss.getSpansList()
                                      .forEach(s -> received.add(new Received(service, s))));
                    }
                    response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .addService(
                new MetricsServiceGrpc.MetricsServiceImplBase() {
                  @Override
                  public void export(
                      ExportMetricsServiceRequest request,
                      StreamObserver<ExportMetricsServiceResponse> response) {
                    request
                        .getResourceMetricsList()
                        .forEach(
                            rm ->
                                rm.getScopeMetricsList()
                                    .forEach(
                                        sm ->
                                            sm.getMetricsList()
                                                .forEach(m -> metricNames.add(m.getName()))));
                    response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build()
            .start();
    Map<String, String> env =
        Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getPort(),
            "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc",
            "OTEL_BSP_SCHEDULE_DELAY", "100",
            "OTEL_METRIC_EXPORT_INTERVAL", "1000");
    try (EtcdProcess etcd = EtcdProcess.start();
        AgentCluster cluster =
            new AgentCluster(
                etcd,
                component ->
                    Telemetry.configure(
                        component.equals("control-plane")
                            ? "switchboard-control-plane"
                            : "switchboard-node-agent",
                        env))) {
      cluster.startControlPlane();
      cluster.startAgent("n1", "127.0.1.1");
      cluster.startAgent("n2", "127.0.1.2");
      await().atMost(WAIT).until(() -> cluster.agents.stream().allMatch(NodeAgent::ready));
      cluster.awaitProgrammed(cluster.currentRevision());

      Service created = cluster.apply(service("wired", "ClusterIP", port("http", "TCP", 8080, 0)));
      cluster.awaitProgrammed(created.getMetadata().getResourceVersion());

      Received api =
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      received.stream()
                          .filter(
                              r -> r.span().getName().equals("switchboard.v1.Admin/ApplyService"))
                          .findFirst()
                          .orElse(null),
                  r -> r != null);
      assertThat(api.service()).isEqualTo("switchboard-control-plane");
      List<Received> trace =
          await()
              .atMost(WAIT)
              .until(
                  () ->
                      received.stream()
                          .filter(r -> r.span().getTraceId().equals(api.span().getTraceId()))
                          .toList(),
                  l -> l.stream().filter(r -> r.span().getName().equals("apply")).count() == 2);
      assertThat(trace)
          .extracting(r -> r.span().getName())
          .contains("etcd txn", "discovery push", "apply");
      assertThat(trace)
          .filteredOn(r -> r.span().getName().equals("apply"))
          .allSatisfy(r -> assertThat(r.service()).isEqualTo("switchboard-node-agent"))
          .extracting(r -> attribute(r.span().getAttributesList(), "switchboard.subscriber"))
          .containsExactlyInAnyOrder("n1", "n2");
      await()
          .atMost(WAIT)
          .until(
              () ->
                  metricNames.containsAll(
                      List.of(
                          "switchboard.network_programming.duration",
                          "switchboard.etcd.request.duration")));
    } finally {
      collector.shutdownNow();
    }
  }

  private static String attribute(List<KeyValue> attributes, String key) {
    return attributes.stream()
        .filter(a -> a.getKey().equals(key))
        .map(a -> a.getValue().getStringValue())
        .findFirst()
        .orElse(null);
  }
}
