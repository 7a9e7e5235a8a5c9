package dev.switchboard.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The subscriber's side of a change (node agent, cloud-lb): an "apply" span from the moment a batch
 * arrives to the moment it is programmed, child of the control plane's push span (whose context the
 * batch carries), and the network-programming latency of every write the batch carries: the time
 * from the write (by the control plane's clock) to programmed (by ours), as Kubernetes' {@code
 * network_programming_duration_seconds}. Clocks of different machines may disagree: a negative
 * difference counts as zero.
 */
public final class ProgrammingTelemetry {
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final AttributeKey<String> NAME = AttributeKey.stringKey("switchboard.subscriber");
  private static final AttributeKey<Long> VERSION = AttributeKey.longKey("switchboard.version");
  private static final AttributeKey<Long> RESOURCES = AttributeKey.longKey("switchboard.resources");
  private static final AttributeKey<Boolean> SNAPSHOT =
      AttributeKey.booleanKey("switchboard.snapshot");
  private static final AttributeKey<String> ERROR = AttributeKey.stringKey("switchboard.error");
  private static final AttributeKey<String> RESULT = AttributeKey.stringKey("result");

  /** A write whose effect a batch carries. */
  public record Origin(long revision, long writeTimeUnixNanos, Map<String, String> traceContext) {}

  /** A batch being programmed: call {@link #done} once, when it is. */
  @FunctionalInterface
  public interface Applying {
    /**
     * @param error "" when everything was programmed, else the NACK detail
     */
    void done(String error);
  }

  private final Tracer tracer;
  private final String role;
  private final String name;
  private final Clock clock;
  private final DoubleHistogram latency;
  private final LongCounter batches;

  /**
   * @param role {@code node-agent} or {@code cloud-lb}
   * @param name the node's (or instance's) name
   */
  public ProgrammingTelemetry(Telemetry telemetry, String role, String name, Clock clock) {
    this.tracer = telemetry.tracer("dev.switchboard.programming");
    this.role = role;
    this.name = name;
    this.clock = clock;
    this.latency =
        telemetry
            .meter("dev.switchboard.programming")
            .histogramBuilder("switchboard.network_programming.duration")
            .setUnit("s")
            .setDescription(
                "From a change's write in etcd to programmed here, one per write applied")
            .setExplicitBucketBoundariesAdvice(
                List.of(
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    300.0))
            .build();
    this.batches =
        telemetry
            .meter("dev.switchboard.programming")
            .counterBuilder("switchboard.discovery.batches.applied")
            .setDescription("Discovery batches applied, by result (ack, nack)")
            .build();
  }

  public Applying begin(
      long version,
      boolean snapshot,
      int resources,
      Map<String, String> pushContext,
      List<Origin> origins) {
    Context parent = TraceContexts.extract(pushContext);
    SpanBuilder builder = null;
    if (Span.fromContext(parent).getSpanContext().isValid()) {
      builder = tracer.spanBuilder("apply").setParent(parent);
    }
    for (Origin o : origins) {
      SpanContext sc = Span.fromContext(TraceContexts.extract(o.traceContext())).getSpanContext();
      if (!sc.isValid()) {
        continue;
      }
      if (builder == null) {
        builder = tracer.spanBuilder("apply").setParent(Context.root().with(Span.wrap(sc)));
      } else if (!sc.getTraceId().equals(Span.fromContext(parent).getSpanContext().getTraceId())) {
        builder.addLink(sc); // another write coalesced into this batch
      }
    }
    Span span =
        builder == null
            ? Span.getInvalid()
            : builder
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(ROLE, role)
                .setAttribute(NAME, name)
                .setAttribute(VERSION, version)
                .setAttribute(SNAPSHOT, snapshot)
                .setAttribute(RESOURCES, (long) resources)
                .startSpan();
    return error -> {
      Instant now = clock.instant();
      long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
      for (Origin o : origins) {
        if (o.writeTimeUnixNanos() > 0) {
          latency.record(Math.max(0, nowNanos - o.writeTimeUnixNanos()) / 1e9);
        }
      }
      batches.add(1, Attributes.of(RESULT, error.isEmpty() ? "ack" : "nack"));
      if (!error.isEmpty()) {
        span.setAttribute(ERROR, error);
        span.setStatus(StatusCode.ERROR, "not everything could be programmed");
      }
      span.end();
    };
  }
}
