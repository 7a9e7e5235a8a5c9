package dev.switchboard.telemetry;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerStats;
import dev.switchboard.forwarder.Outcome;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A span and metrics for every connection (or UDP flow) a forwarder proxies, through its {@link
 * ConnectionObserver} hook, so that the forwarder stays free of OpenTelemetry.
 *
 * <p>The span is made whole at close, with the accept time as its start: the observer already gets
 * both ends, so nothing per connection has to be kept between the two calls (no map, no lock on the
 * event loops). What it says: the listener (service and port), client, listener address, chosen
 * endpoint and node, bytes each way, connect attempts, outcome. No span is built at all when no
 * trace exporter is configured ({@link Telemetry#tracing()}).
 *
 * <p>Metrics: {@code switchboard.connections.opened} / {@code .closed} (by outcome) and {@code
 * .active}, {@code switchboard.connection.bytes} (by direction), {@code
 * switchboard.connect.failures}, {@code switchboard.connect.retries}, {@code
 * switchboard.connection.duration}. Labelled by listener only (bounded: one per service port),
 * never by client. Why most are asynchronous: the forwarder already counts connections, bytes and
 * connect failures per listener ({@link Listener#stats()}), so those are read when metrics are
 * collected instead of being recorded again per connection; only what the forwarder does not count
 * (closes by outcome, durations) is recorded as connections close, with the attributes of each
 * listener built once.
 */
public final class ConnectionTelemetry implements ConnectionObserver {
  static final AttributeKey<String> LISTENER = AttributeKey.stringKey("listener");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("direction");
  private static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("network.transport");
  private static final AttributeKey<String> CLIENT_ADDRESS =
      AttributeKey.stringKey("client.address");
  private static final AttributeKey<Long> CLIENT_PORT = AttributeKey.longKey("client.port");
  private static final AttributeKey<String> SERVER_ADDRESS =
      AttributeKey.stringKey("server.address");
  private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
  private static final AttributeKey<String> PEER_ADDRESS =
      AttributeKey.stringKey("network.peer.address");
  private static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
  private static final AttributeKey<String> NODE = AttributeKey.stringKey("switchboard.node");
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("switchboard.role");
  private static final AttributeKey<Long> BYTES_IN =
      AttributeKey.longKey("switchboard.bytes_from_client");
  private static final AttributeKey<Long> BYTES_OUT =
      AttributeKey.longKey("switchboard.bytes_to_client");
  private static final AttributeKey<Long> ATTEMPTS =
      AttributeKey.longKey("switchboard.connect_attempts");
  private static final AttributeKey<String> SB_OUTCOME =
      AttributeKey.stringKey("switchboard.outcome");
  private static final Outcome[] OUTCOMES = Outcome.values();

  private final Tracer tracer;
  private final boolean tracing;
  private final String role;

  /** Set once the forwarder exists ({@link #exportCountsOf}); until then nothing to read. */
  private volatile Supplier<? extends Collection<? extends Listener>> listeners = List::of;

  private final LongCounter closed;
  private final DoubleHistogram duration;

  /**
   * The attributes of each listener seen closing a connection, built once. Any thread (the
   * forwarder's event loops); pruned to the live listeners whenever it outgrows them.
   */
  private final ConcurrentHashMap<String, ListenerAttributes> attributes =
      new ConcurrentHashMap<>();

  /**
   * @param role who forwards ({@code node-agent}, {@code cloud-lb}): the span's {@code
   *     switchboard.role}
   */
  public ConnectionTelemetry(Telemetry telemetry, String role) {
    this.tracer = telemetry.tracer("dev.switchboard.forwarder");
    this.tracing = telemetry.tracing();
    this.role = role;
    Meter meter = telemetry.meter("dev.switchboard.forwarder");
    ObservableLongMeasurement opened =
        meter
            .counterBuilder("switchboard.connections.opened")
            .setDescription("Connections (TCP) and flows (UDP) accepted, by listener")
            .buildObserver();
    closed =
        meter
            .counterBuilder("switchboard.connections.closed")
            .setDescription("Connections and flows ended, by listener and outcome")
            .build();
    ObservableLongMeasurement active =
        meter
            .upDownCounterBuilder("switchboard.connections.active")
            .setDescription("Connections and flows open now, by listener")
            .buildObserver();
    ObservableLongMeasurement bytes =
        meter
            .counterBuilder("switchboard.connection.bytes")
            .setUnit("By")
            .setDescription("Bytes forwarded, by listener and direction (from_client, to_client)")
            .buildObserver();
    ObservableLongMeasurement failures =
        meter
            .counterBuilder("switchboard.connect.failures")
            .setDescription("Connects to an endpoint that failed (refused, timed out), by listener")
            .buildObserver();
    ObservableLongMeasurement retries =
        meter
            .counterBuilder("switchboard.connect.retries")
            .setDescription("Connects retried on another endpoint, by listener")
            .buildObserver();
    // One pass over the listeners per collection, one stats snapshot each, for all five.
    meter.batchCallback(
        () ->
            eachListener(
                (a, s) -> {
                  opened.record(s.totalConnections(), a.listener);
                  active.record(s.activeConnections(), a.listener);
                  bytes.record(s.bytesIn(), a.fromClient);
                  bytes.record(s.bytesOut(), a.toClient);
                  if (s.connectFailures() > 0) {
                    failures.record(s.connectFailures(), a.listener);
                  }
                  if (s.connectRetries() > 0) {
                    retries.record(s.connectRetries(), a.listener);
                  }
                }),
        opened,
        active,
        bytes,
        failures,
        retries);
    duration =
        meter
            .histogramBuilder("switchboard.connection.duration")
            .setUnit("s")
            .setDescription("How long connections and flows lasted, by listener")
            .setExplicitBucketBoundariesAdvice(
                List.of(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0))
            .build();
  }

  /**
   * The listeners whose counters the asynchronous metrics read ({@code forwarder::listeners} of the
   * forwarder this observes): the observer is made before its forwarder, so this comes after.
   */
  public void exportCountsOf(Supplier<? extends Collection<? extends Listener>> liveListeners) {
    this.listeners = liveListeners;
  }

  /** The attributes of one listener, each set built once. */
  private static final class ListenerAttributes {
    final Attributes listener;
    final Attributes fromClient;
    final Attributes toClient;

    /** Filled as outcomes occur (a race fills a slot twice with equal values). */
    private final Attributes[] byOutcome = new Attributes[OUTCOMES.length];

    ListenerAttributes(String name) {
      listener = Attributes.of(LISTENER, name);
      fromClient = Attributes.of(LISTENER, name, DIRECTION, "from_client");
      toClient = Attributes.of(LISTENER, name, DIRECTION, "to_client");
    }

    Attributes outcome(Outcome o) {
      Attributes a = byOutcome[o.ordinal()];
      if (a == null) {
        a = listener.toBuilder().put(OUTCOME, o.name().toLowerCase(Locale.ROOT)).build();
        byOutcome[o.ordinal()] = a;
      }
      return a;
    }
  }

  private ListenerAttributes attributesOf(String listener) {
    ListenerAttributes a = attributes.get(listener);
    return a != null ? a : attributes.computeIfAbsent(listener, ListenerAttributes::new);
  }

  private void eachListener(
      java.util.function.BiConsumer<ListenerAttributes, ListenerStats> record) {
    Collection<? extends Listener> live = listeners.get();
    Set<String> names = new HashSet<>();
    for (Listener l : live) {
      ListenerStats stats = l.stats();
      if (stats.totalConnections() == 0) {
        continue; // no series until a listener has served (as before), nor attributes kept for it
      }
      String name = l.spec().name();
      names.add(name);
      record.accept(attributesOf(name), stats);
    }
    if (attributes.size() > names.size()) {
      attributes.keySet().retainAll(names);
    }
  }

  @Override
  public void onOpen(ConnectionInfo c) {
    // Counted by the forwarder (Listener#stats), read at collection.
  }

  @Override
  public void onClose(ConnectionInfo c, ConnectionSummary s) {
    ListenerAttributes a = attributesOf(c.listener());
    closed.add(1, a.outcome(s.outcome()));
    duration.record(s.duration().toNanos() / 1e9, a.listener);
    if (tracing) {
      span(c, s);
    }
  }

  private void span(ConnectionInfo c, ConnectionSummary s) {
    String outcome = s.outcome().name().toLowerCase(Locale.ROOT);
    Instant start = c.openedAt();
    Span span =
        tracer
            .spanBuilder("forward " + c.protocol() + " " + c.listener())
            .setParent(Context.root())
            .setSpanKind(SpanKind.SERVER)
            .setStartTimestamp(start)
            .setAttribute(ROLE, role)
            .setAttribute(LISTENER, c.listener())
            .setAttribute(TRANSPORT, c.protocol().name().toLowerCase(Locale.ROOT))
            .setAttribute(CLIENT_ADDRESS, c.client().getAddress().getHostAddress())
            .setAttribute(CLIENT_PORT, (long) c.client().getPort())
            .setAttribute(SERVER_ADDRESS, c.listenerAddress().getAddress().getHostAddress())
            .setAttribute(SERVER_PORT, (long) c.listenerAddress().getPort())
            .startSpan();
    if (s.endpoint().isPresent()) {
      Endpoint e = s.endpoint().get();
      span.setAttribute(PEER_ADDRESS, e.socketAddress().getAddress().getHostAddress());
      span.setAttribute(PEER_PORT, (long) e.socketAddress().getPort());
      e.nodeName().ifPresent(n -> span.setAttribute(NODE, n));
    }
    span.setAttribute(BYTES_IN, s.bytesFromClient());
    span.setAttribute(BYTES_OUT, s.bytesToClient());
    span.setAttribute(ATTEMPTS, (long) s.connectAttempts());
    span.setAttribute(SB_OUTCOME, outcome);
    switch (s.outcome()) {
      case NO_ENDPOINT, CONNECT_FAILED, REJECTED, ERROR ->
          span.setStatus(StatusCode.ERROR, outcome);
      default -> {}
    }
    long endNanos =
        TimeUnit.SECONDS.toNanos(start.getEpochSecond()) + start.getNano() + s.duration().toNanos();
    span.end(endNanos, TimeUnit.NANOSECONDS);
  }
}
