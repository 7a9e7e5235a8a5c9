package dev.switchboard.controlplane.telemetry;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Listing;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.TxnResult;
import dev.switchboard.controlplane.store.WatchListener;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.telemetry.TraceContexts;
import dev.switchboard.v1.ChangeOrigin;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link Store} that traces and times every etcd call, and stamps every committed write with its
 * origin. Decorating the store (instead of the registries) covers every writer at once: services,
 * pods, endpoints, node registration; and keeps jetcd in {@code store/EtcdStore}.
 *
 * <p>The origin: each transaction with writes also puts {@link Keys#LAST_CHANGE} = a {@link
 * ChangeOrigin} (write time, W3C context of the transaction's span). Because it is in the same
 * transaction, etcd gives it the change's revision, and every replica's watch sees it next to the
 * change: that is how a replica that did not serve the API call still knows which trace a revision
 * belongs to and when it was written, without a per-object field or annotation that {@code
 * PublishedState} would have to strip, and without a key per change to clean up (one key,
 * overwritten; the watch delivers every version). A failed transaction writes nothing, origin
 * included.
 */
public final class TracingStore implements Store {
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
  private static final AttributeKey<String> DB_OPERATION =
      AttributeKey.stringKey("db.operation.name");
  private static final AttributeKey<Long> REVISION =
      AttributeKey.longKey("switchboard.etcd.revision");
  private static final AttributeKey<Boolean> SUCCEEDED =
      AttributeKey.booleanKey("switchboard.etcd.succeeded");
  private static final AttributeKey<String> KEY = AttributeKey.stringKey("switchboard.etcd.key");
  private static final AttributeKey<Long> WRITES = AttributeKey.longKey("switchboard.etcd.writes");

  private final Store delegate;
  private final Tracer tracer;
  private final DoubleHistogram latency;
  private final Clock clock;

  public TracingStore(Store delegate, Telemetry telemetry, Clock clock) {
    this.delegate = delegate;
    this.tracer = telemetry.tracer("dev.switchboard.controlplane.store");
    this.latency =
        telemetry
            .meter("dev.switchboard.controlplane.store")
            .histogramBuilder("switchboard.etcd.request.duration")
            .setUnit("s")
            .setDescription("etcd calls of the control plane, by operation")
            .setExplicitBucketBoundariesAdvice(
                List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0))
            .build();
    this.clock = clock;
  }

  @Override
  public Optional<KeyValue> get(String key) {
    return traced("get", Attributes.of(KEY, key), () -> delegate.get(key));
  }

  @Override
  public Listing list(String prefix) {
    return traced("range", Attributes.of(KEY, prefix), () -> delegate.list(prefix));
  }

  @Override
  public Listing list(String prefix, long revision) {
    return traced(
        "range",
        Attributes.of(KEY, prefix, REVISION, revision),
        () -> delegate.list(prefix, revision));
  }

  @Override
  public TxnResult commit(Txn txn) {
    long start = System.nanoTime();
    Span span =
        tracer
            .spanBuilder("etcd txn")
            .setSpanKind(SpanKind.CLIENT)
            .setAttribute(DB_SYSTEM, "etcd")
            .setAttribute(DB_OPERATION, "txn")
            .setAttribute(WRITES, (long) txn.writes().size())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      Txn sent = txn.writes().isEmpty() ? txn : withOrigin(txn, span);
      TxnResult result = delegate.commit(sent);
      span.setAttribute(REVISION, result.revision());
      span.setAttribute(SUCCEEDED, result.succeeded());
      return result;
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      span.end();
      latency.record((System.nanoTime() - start) / 1e9, Attributes.of(DB_OPERATION, "txn"));
    }
  }

  private Txn withOrigin(Txn txn, Span span) {
    Instant now = clock.instant();
    ChangeOrigin origin =
        ChangeOrigin.newBuilder()
            .setWriteTimeUnixNanos(now.getEpochSecond() * 1_000_000_000L + now.getNano())
            .putAllTraceContext(TraceContexts.inject(Context.current().with(span)))
            .build();
    Txn copy = new Txn();
    txn.conditions().forEach(copy::when);
    txn.writes().forEach(copy::then);
    copy.readOnFailure(txn.readsOnFailure());
    return copy.then(Write.put(Keys.LAST_CHANGE, origin.toByteArray()));
  }

  @Override
  public AutoCloseable watch(String prefix, long fromRevision, WatchListener listener) {
    return delegate.watch(prefix, fromRevision, listener);
  }

  @Override
  public long grantLease(Duration ttl) {
    return traced("lease grant", Attributes.empty(), () -> delegate.grantLease(ttl));
  }

  @Override
  public AutoCloseable keepAlive(long leaseId) {
    return delegate.keepAlive(leaseId);
  }

  @Override
  public void revokeLease(long leaseId) {
    traced(
        "lease revoke",
        Attributes.empty(),
        () -> {
          delegate.revokeLease(leaseId);
          return null;
        });
  }

  @Override
  public void compact(long revision) {
    delegate.compact(revision);
  }

  @Override
  public long currentRevision() {
    return delegate.currentRevision();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private <T> T traced(String operation, Attributes attributes, Supplier<T> call) {
    long start = System.nanoTime();
    // Reads are spans only inside a trace (an API call): the cache's relists and resumes would
    // otherwise start a root trace each.
    boolean traced = Span.current().getSpanContext().isValid();
    Span span =
        traced
            ? tracer
                .spanBuilder("etcd " + operation)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(DB_SYSTEM, "etcd")
                .setAttribute(DB_OPERATION, operation)
                .setAllAttributes(attributes)
                .startSpan()
            : Span.getInvalid();
    try (Scope ignored = span.makeCurrent()) {
      return call.get();
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
      latency.record((System.nanoTime() - start) / 1e9, Attributes.of(DB_OPERATION, operation));
    }
  }
}
