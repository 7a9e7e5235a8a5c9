package dev.switchboard.bench.nodeport;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OTLP/gRPC collector that keeps nothing: it answers every export and counts spans, export calls
 * and bytes, so that the benchmark can price telemetry with an endpoint set (serialising and
 * sending included) and say how many spans arrived, against how many connections were made. It runs
 * in the benchmark's JVM, so its own CPU is not charged to the agent.
 */
final class OtlpSink implements AutoCloseable {
  private final Server server;
  private final LongAdder spans = new LongAdder();
  private final LongAdder traceExports = new LongAdder();
  private final LongAdder traceBytes = new LongAdder();
  private final LongAdder metricExports = new LongAdder();

  private OtlpSink(String host) {
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, 0))
            .maxInboundMessageSize(64 << 20)
            .addService(
                new TraceServiceGrpc.TraceServiceImplBase() {
                  @Override
                  public void export(
                      ExportTraceServiceRequest request,
                      StreamObserver<ExportTraceServiceResponse> response) {
                    traceExports.increment();
                    traceBytes.add(request.getSerializedSize());
                    request
                        .getResourceSpansList()
                        .forEach(
                            rs ->
                                rs.getScopeSpansList()
                                    .forEach(ss -> spans.add(ss.getSpansCount())));
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
                    metricExports.increment();
                    response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
                    response.onCompleted();
                  }
                })
            .build();
  }

  static OtlpSink start(String host) throws IOException {
    OtlpSink sink = new OtlpSink(host);
    sink.server.start();
    return sink;
  }

  /** The variables that point a component at this sink (OTLP/gRPC, the SDK's default delays). */
  Map<String, String> environment() {
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://127.0.0.1:" + server.getPort(),
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "grpc");
  }

  long spans() {
    return spans.sum();
  }

  String summary() {
    return String.format(
        "OTLP sink: %,d spans in %,d trace exports (%,d bytes), %,d metric exports",
        spans.sum(), traceExports.sum(), traceBytes.sum(), metricExports.sum());
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
