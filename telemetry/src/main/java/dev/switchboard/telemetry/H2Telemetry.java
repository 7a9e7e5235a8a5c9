package dev.switchboard.telemetry;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.h2.H2CallObserver;
import io.netty.handler.codec.http2.Http2Headers;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A span per call (HTTP/2 stream) forwarded by an HTTP/2-mode listener, as {@link HttpTelemetry}
 * does per HTTP/1.1 request: the client's W3C {@code traceparent} is continued (or a trace started)
 * and replaced by our span's before the call goes on, so the pod's span is our span's child. The
 * span is named by the gRPC path ({@code /pkg.Service/Method}); its status comes from {@code
 * grpc-status} (server-side errors as OpenTelemetry's RPC conventions list them), or from the HTTP
 * status for plain h2c.
 *
 * <p>Metric: {@code switchboard.rpc.call.duration} by listener and gRPC status ({@code -1}: none,
 * e.g. plain h2c or a reset). Without a trace exporter no span is built.
 */
public final class H2Telemetry implements H2CallObserver {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  private static final AttributeKey<Long> GRPC_STATUS =
      AttributeKey.longKey("rpc.grpc.status_code");
  private static final AttributeKey<Long> HTTP_STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> CLIENT = AttributeKey.stringKey("client.address");
  private static final AttributeKey<String> PEER = AttributeKey.stringKey("network.peer.address");
  private static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  private static final AttributeKey<String> NODE = AttributeKey.stringKey("switchboard.node");
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final AttributeKey<String> LISTENER = AttributeKey.stringKey("listener");
  private static final AttributeKey<String> ERROR = AttributeKey.stringKey("switchboard.error");

  /** gRPC codes a server span reports as errors (OpenTelemetry RPC conventions). */
  private static final Set<Long> SERVER_ERRORS = Set.of(2L, 4L, 12L, 13L, 14L, 15L);

  private static final int MAX_LISTENERS = 4096;

  private static final TextMapGetter<Http2Headers> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Http2Headers carrier) {
          List<String> names = new ArrayList<>();
          carrier.names().forEach(n -> names.add(n.toString()));
          return names;
        }

        @Override
        public String get(Http2Headers carrier, String key) {
          CharSequence v = carrier == null ? null : carrier.get(key);
          return v == null ? null : v.toString();
        }
      };

  private final Tracer tracer;
  private final boolean tracing;
  private final String role;
  private final DoubleHistogram duration;

  /** Per listener: attributes for gRPC status -1..16 (index + 1), built once. */
  private final ConcurrentHashMap<String, Attributes[]> attributes = new ConcurrentHashMap<>();

  public H2Telemetry(Telemetry telemetry, String role) {
    this.tracer = telemetry.tracer("dev.switchboard.forwarder.h2");
    this.tracing = telemetry.tracing();
    this.role = role;
    this.duration =
        telemetry
            .meter("dev.switchboard.forwarder.h2")
            .histogramBuilder("switchboard.rpc.call.duration")
            .setUnit("s")
            .setDescription("HTTP/2 calls forwarded, from request headers to the response's end")
            .setExplicitBucketBoundariesAdvice(
                List.of(
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
            .build();
  }

  @Override
  public Call onRequest(ConnectionInfo connection, Endpoint endpoint, Http2Headers request) {
    long start = System.nanoTime();
    String listener = connection.listener();
    if (!tracing) {
      return new Call() {
        private long grpcStatus = -1;

        @Override
        public void onTrailers(Http2Headers trailers) {
          grpcStatus = grpcStatus(trailers);
        }

        @Override
        public void onComplete() {
          record(listener, start, grpcStatus);
        }

        @Override
        public void onFailed(String reason) {
          record(listener, start, grpcStatus);
        }
      };
    }
    Context parent = W3C.extract(Context.root(), request, GETTER);
    String path = request.path() == null ? "" : request.path().toString();
    CharSequence type = request.get("content-type");
    boolean grpc = type != null && type.toString().startsWith("application/grpc");
    Span span =
        tracer
            .spanBuilder(path.startsWith("/") ? path.substring(1) : path)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(RPC_METHOD, path)
            .setAttribute(ROLE, role)
            .setAttribute(LISTENER, listener)
            .setAttribute(CLIENT, connection.client().getAddress().getHostAddress())
            .setAttribute(PEER, endpoint.socketAddress().getAddress().getHostAddress())
            .setAttribute(PEER_PORT, (long) endpoint.socketAddress().getPort())
            .startSpan();
    if (grpc) {
      span.setAttribute(RPC_SYSTEM, "grpc");
    }
    endpoint.nodeName().ifPresent(n -> span.setAttribute(NODE, n));
    if (span.getSpanContext().isValid()) {
      W3C.inject(Context.root().with(span), request, (h, k, v) -> h.set(k, v));
    }
    return new Call() {
      private long grpcStatus = -1;

      @Override
      public void onResponse(Http2Headers response) {
        CharSequence s = response.status();
        if (s != null) {
          long http = Long.parseLong(s.toString());
          span.setAttribute(HTTP_STATUS, http);
          if (!grpc && http >= 500) {
            span.setStatus(StatusCode.ERROR);
          }
        }
      }

      @Override
      public void onTrailers(Http2Headers trailers) {
        grpcStatus = grpcStatus(trailers);
        if (grpcStatus >= 0) {
          span.setAttribute(GRPC_STATUS, grpcStatus);
          if (SERVER_ERRORS.contains(grpcStatus)) {
            span.setStatus(StatusCode.ERROR);
          }
        }
      }

      @Override
      public void onComplete() {
        record(listener, start, grpcStatus);
        span.end();
      }

      @Override
      public void onFailed(String reason) {
        record(listener, start, grpcStatus);
        span.setAttribute(ERROR, reason);
        span.setStatus(StatusCode.ERROR, reason);
        span.end();
      }
    };
  }

  private static long grpcStatus(Http2Headers trailers) {
    CharSequence s = trailers.get("grpc-status");
    if (s == null) {
      return -1;
    }
    try {
      return Long.parseLong(s.toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void record(String listener, long start, long grpcStatus) {
    duration.record((System.nanoTime() - start) / 1e9, attributes(listener, grpcStatus));
  }

  /** Built once per listener and status (grpc-status outside 0..16 is recorded as -1). */
  private Attributes attributes(String listener, long grpcStatus) {
    int slot = grpcStatus >= 0 && grpcStatus <= 16 ? (int) grpcStatus + 1 : 0;
    Attributes[] row = attributes.get(listener);
    if (row == null) {
      if (attributes.size() >= MAX_LISTENERS) {
        attributes.clear();
      }
      row = attributes.computeIfAbsent(listener, l -> new Attributes[18]);
    }
    Attributes a = row[slot];
    if (a == null) {
      a = Attributes.of(LISTENER, listener, GRPC_STATUS, (long) slot - 1);
      row[slot] = a;
    }
    return a;
  }
}
