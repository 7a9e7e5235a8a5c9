package dev.switchboard.telemetry;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.http.HttpExchangeObserver;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;

/**
 * A span per HTTP request forwarded by an HTTP-mode listener, continuing the client's W3C {@code
 * traceparent} (or starting a trace when there is none) and passing its own context to the next hop
 * in place of the client's, so a request is one trace from load balancer to agent to pod: each
 * hop's span is the child of the one before, and the pod sees the agent's span as its parent.
 *
 * <p>Metric: {@code switchboard.http.request.duration} by listener, method ({@code _OTHER} for
 * methods HTTP does not register) and status code. Without a trace exporter no span is built.
 */
public final class HttpTelemetry implements HttpExchangeObserver {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> TARGET = AttributeKey.stringKey("url.path");
  private static final AttributeKey<Long> STATUS =
      AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<String> CLIENT = AttributeKey.stringKey("client.address");
  private static final AttributeKey<String> PEER = AttributeKey.stringKey("network.peer.address");
  private static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  private static final AttributeKey<String> NODE = AttributeKey.stringKey("switchboard.node");
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final AttributeKey<String> LISTENER = AttributeKey.stringKey("listener");
  private static final AttributeKey<String> ERROR = AttributeKey.stringKey("switchboard.error");

  private static final TextMapGetter<HttpHeaders> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
          return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final Tracer tracer;
  private final boolean tracing;
  private final String role;
  private final DoubleHistogram duration;
  private final HttpDurationAttributes durationAttributes = new HttpDurationAttributes();

  public HttpTelemetry(Telemetry telemetry, String role) {
    this.tracer = telemetry.tracer("dev.switchboard.forwarder.http");
    this.tracing = telemetry.tracing();
    this.role = role;
    this.duration =
        telemetry
            .meter("dev.switchboard.forwarder.http")
            .histogramBuilder("switchboard.http.request.duration")
            .setUnit("s")
            .setDescription("HTTP requests forwarded, from request head to the response's end")
            .setExplicitBucketBoundariesAdvice(
                List.of(
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
            .build();
  }

  @Override
  public Exchange onRequest(ConnectionInfo connection, Endpoint endpoint, HttpRequest request) {
    if (!tracing) {
      // No span goes anywhere: the client's traceparent passes as it is, and only the duration
      // is recorded (most of a span's cost is building it).
      return new Timed(connection.listener(), request.method().name());
    }
    HttpHeaders headers = request.headers();
    Context parent = W3C.extract(Context.root(), headers, GETTER);
    String method = request.method().name();
    String uri = request.uri();
    int q = uri.indexOf('?');
    Span span =
        tracer
            .spanBuilder(method)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute(METHOD, method)
            .setAttribute(TARGET, q < 0 ? uri : uri.substring(0, q))
            .setAttribute(ROLE, role)
            .setAttribute(LISTENER, connection.listener())
            .setAttribute(CLIENT, connection.client().getAddress().getHostAddress())
            .setAttribute(PEER, endpoint.socketAddress().getAddress().getHostAddress())
            .setAttribute(PEER_PORT, (long) endpoint.socketAddress().getPort())
            .startSpan();
    endpoint.nodeName().ifPresent(n -> span.setAttribute(NODE, n));
    // Our span is the next hop's parent (the client's tracestate travels on). A span not recorded
    // (no exporter configured) leaves the client's headers as they are.
    if (span.getSpanContext().isValid()) {
      W3C.inject(Context.root().with(span), headers, (h, k, v) -> h.set(k, v));
    }
    long start = System.nanoTime();
    return new Exchange() {
      private long status;

      @Override
      public void onResponse(HttpResponse response) {
        status = response.status().code();
        span.setAttribute(STATUS, status);
        if (status >= 500) {
          span.setStatus(StatusCode.ERROR);
        }
      }

      @Override
      public void onComplete() {
        record();
        span.end();
      }

      @Override
      public void onFailed(String reason) {
        record();
        span.setAttribute(ERROR, reason);
        span.setStatus(StatusCode.ERROR, reason);
        span.end();
      }

      private void record() {
        duration.record(
            (System.nanoTime() - start) / 1e9,
            durationAttributes.of(
                connection.listener(), HttpDurationAttributes.methodIndex(method), status));
      }
    };
  }

  /** An exchange that only records its duration: no trace exporter is configured. */
  private final class Timed implements Exchange {
    private final String listener;
    private final int method;
    private final long start = System.nanoTime();
    private long status;

    Timed(String listener, String method) {
      this.listener = listener;
      this.method = HttpDurationAttributes.methodIndex(method);
    }

    @Override
    public void onResponse(HttpResponse response) {
      status = response.status().code();
    }

    @Override
    public void onComplete() {
      record();
    }

    @Override
    public void onFailed(String reason) {
      record();
    }

    private void record() {
      duration.record(
          (System.nanoTime() - start) / 1e9, durationAttributes.of(listener, method, status));
    }
  }
}
