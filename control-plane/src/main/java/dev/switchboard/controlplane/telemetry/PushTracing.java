package dev.switchboard.controlplane.telemetry;

import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.telemetry.TraceContexts;
import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The "discovery push" span: one per message sent to one subscriber that carries at least one
 * traced change. Its parent is the etcd transaction of the first change it carries (the trace of
 * the API call that made it); the other changes it carries are links (coalescing may put several
 * writes in one message). Its context goes out in {@code trace_context}, so the subscriber's
 * "apply" span is its child. Messages without a traced change (snapshots, resumes) get no span.
 */
public final class PushTracing {
  private static final AttributeKey<String> SUBSCRIBER =
      AttributeKey.stringKey("switchboard.subscriber");
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final AttributeKey<Long> VERSION = AttributeKey.longKey("switchboard.version");
  private static final AttributeKey<Long> RESOURCES = AttributeKey.longKey("switchboard.resources");
  private static final AttributeKey<Long> REMOVED = AttributeKey.longKey("switchboard.removed");

  public static final PushTracing DISABLED = new PushTracing(Telemetry.disabled());

  private final Tracer tracer;
  private final LongCounter pushes;

  /** Built once per role: this runs once per subscriber per message (1,000 times a change). */
  private final Map<String, Attributes> roleAttributes = new ConcurrentHashMap<>();

  public PushTracing(Telemetry telemetry) {
    this.tracer = telemetry.tracer("dev.switchboard.controlplane.discovery");
    this.pushes =
        telemetry
            .meter("dev.switchboard.controlplane.discovery")
            .counterBuilder("switchboard.discovery.pushes")
            .setDescription("Discovery messages sent, by subscriber role")
            .build();
  }

  /**
   * Starts the span of {@code response} (complete but for its trace context, which this sets); end
   * it once the message is handed to gRPC. Returns an invalid span when nothing is traced.
   */
  public Span start(
      DiscoveryResponse.Builder response,
      Collection<ChangeOrigin> origins,
      String subscriber,
      String role) {
    Span span =
        start(
            response.getVersion(),
            response.getResourcesCount(),
            response.getRemovedCount(),
            origins,
            subscriber,
            role);
    if (span.getSpanContext().isValid()) {
      response.putAllTraceContext(context(span));
    }
    return span;
  }

  /**
   * Starts the span of a message serialized once for many subscribers (its trace context goes in
   * the subscriber's own part, see {@link #context}); an invalid span when nothing is traced.
   */
  public Span start(
      long version,
      int resources,
      int removed,
      Collection<ChangeOrigin> origins,
      String subscriber,
      String role) {
    pushes.add(1, roleAttributes.computeIfAbsent(role, r -> Attributes.of(ROLE, r)));
    SpanBuilder builder = null;
    for (ChangeOrigin origin : origins) {
      Context parent = TraceContexts.extract(origin.getTraceContextMap());
      SpanContext sc = Span.fromContext(parent).getSpanContext();
      if (!sc.isValid()) {
        continue;
      }
      if (builder == null) {
        builder =
            tracer.spanBuilder("discovery push").setParent(parent).setSpanKind(SpanKind.PRODUCER);
      } else {
        builder.addLink(sc);
      }
    }
    if (builder == null) {
      return Span.getInvalid();
    }
    return builder
        .setAttribute(SUBSCRIBER, subscriber)
        .setAttribute(ROLE, role)
        .setAttribute(VERSION, version)
        .setAttribute(RESOURCES, (long) resources)
        .setAttribute(REMOVED, (long) removed)
        .startSpan();
  }

  /** The W3C trace context that makes the subscriber's work a child of {@code span}. */
  public static Map<String, String> context(Span span) {
    return TraceContexts.inject(Context.root().with(span));
  }
}
