package dev.switchboard.telemetry;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) to and from plain string maps: the
 * form it takes in etcd (a change's origin), on the Discovery stream ({@code
 * DiscoveryResponse.trace_context}) and in HTTP headers. Always W3C, whatever propagators {@code
 * OTEL_PROPAGATORS} picks, because these maps are our own protocol, not a third party's.
 */
public final class TraceContexts {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private TraceContexts() {}

  /** The trace context of {@code context}'s span; empty when it has no valid span. */
  public static Map<String, String> inject(Context context) {
    Map<String, String> out = new HashMap<>(2);
    W3C.inject(context, out, (m, k, v) -> m.put(k, v));
    return out;
  }

  /** The current span's trace context. */
  public static Map<String, String> current() {
    return inject(Context.current());
  }

  /** A context whose parent span is the one {@code carrier} names; root when it names none. */
  public static Context extract(Map<String, String> carrier) {
    if (carrier == null || carrier.isEmpty()) {
      return Context.root();
    }
    return W3C.extract(Context.root(), carrier, GETTER);
  }
}
