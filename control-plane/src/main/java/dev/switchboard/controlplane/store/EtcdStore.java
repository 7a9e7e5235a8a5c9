package dev.switchboard.controlplane.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Store} on etcd through jetcd: the only class in Switchboard that imports jetcd. Keys are
 * namespaced under the configured prefix (jetcd's client namespace), so the rest of the control
 * plane speaks {@code services/ns/name}.
 */
public final class EtcdStore implements Store {
  private static final Logger log = LoggerFactory.getLogger(EtcdStore.class);
  private static final ByteSequence REVISION_PROBE_KEY = bytes("\u0000revision");

  /**
   * Keys per page of a list (see {@link #list(String, long)}). Large on purpose: etcd counts the
   * whole range for every page, so each page costs as much as the range is long (110,000 keys: 6.4
   * s in pages of 1,000, 0.9 s in pages of 10,000).
   */
  static final int LIST_PAGE = 10_000;

  /** Largest message taken from etcd (gRPC's default, 4 MiB, is smaller than a large list). */
  static final int MAX_INBOUND_BYTES = 64 << 20;

  private final Client client;
  private final KV kv;
  private final Duration timeout;
  private final String endpointsForMessages;
  private final int listPage;

  private EtcdStore(Client client, Duration timeout, String endpointsForMessages, int listPage) {
    this.client = client;
    this.kv = client.getKVClient();
    this.timeout = timeout;
    this.endpointsForMessages = endpointsForMessages;
    this.listPage = listPage;
  }

  /**
   * Connects (lazily: the first call reaches etcd) to {@code endpoints} with every key under {@code
   * prefix}.
   *
   * @param timeout how long one call may take before it fails with {@link StoreException}
   */
  public static EtcdStore connect(List<String> endpoints, String prefix, Duration timeout) {
    return connect(endpoints, prefix, timeout, null);
  }

  /** As above; {@code tls} (null: none) secures https endpoints (CA, client certificate). */
  public static EtcdStore connect(
      List<String> endpoints, String prefix, Duration timeout, SslContext tls) {
    return connect(endpoints, prefix, timeout, LIST_PAGE, MAX_INBOUND_BYTES, tls);
  }

  /**
   * As {@link #connect(List, String, Duration)}, with lists read {@code listPage} keys at a time
   * and messages from etcd of at most {@code maxInboundBytes} (tests make both small).
   */
  static EtcdStore connect(
      List<String> endpoints, String prefix, Duration timeout, int listPage, int maxInboundBytes) {
    return connect(endpoints, prefix, timeout, listPage, maxInboundBytes, null);
  }

  private static EtcdStore connect(
      List<String> endpoints,
      String prefix,
      Duration timeout,
      int listPage,
      int maxInboundBytes,
      SslContext tls) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("endpoints: [] (expected: at least one etcd URL)");
    }
    ClientBuilder builder =
        Client.builder()
            .endpoints(endpoints.toArray(String[]::new))
            .connectTimeout(Duration.ofSeconds(2))
            .keepaliveTime(Duration.ofSeconds(10))
            .keepaliveTimeout(Duration.ofSeconds(5))
            .retryMaxDuration(timeout)
            // A list page, or a watch response catching up after a pause, can exceed 4 MiB.
            .maxInboundMessageSize(maxInboundBytes);
    if (tls != null) {
      builder.sslContext(tls);
    }
    if (!prefix.isEmpty()) {
      builder.namespace(bytes(prefix.endsWith("/") ? prefix : prefix + "/"));
    }
    return new EtcdStore(builder.build(), timeout, String.join(",", endpoints), listPage);
  }

  @Override
  public Optional<KeyValue> get(String key) {
    GetResponse response = await("get " + key, kv.get(bytes(key)));
    return response.getKvs().isEmpty()
        ? Optional.empty()
        : Optional.of(toKeyValue(response.getKvs().get(0)));
  }

  @Override
  public Listing list(String prefix) {
    return list(prefix, 0);
  }

  /**
   * Lists in pages of {@link #LIST_PAGE} keys, every page at the revision of the first, so the
   * result is one consistent snapshot. One unpaged range of a large cluster (10,000 services with
   * their pods is ~22 MB) exceeded the message limit: the cache could then never list, so a replica
   * could not start or recover, and no subscriber could resume. A page that is still too large (big
   * values) is asked for again in halves.
   */
  @Override
  public Listing list(String prefix, long revision) {
    // "\0" as range end: every key from the start key on (within the client's namespace).
    ByteSequence end =
        prefix.isEmpty()
            ? ByteSequence.from(new byte[] {0})
            : ByteSequence.from(prefixEnd(bytes(prefix).getBytes()));
    ByteSequence from = bytes(prefix);
    long atRevision = revision;
    long headerRevision = 0;
    int page = listPage;
    List<KeyValue> items = new ArrayList<>();
    while (true) {
      GetOption.Builder option =
          GetOption.builder()
              .withRange(end)
              .withLimit(page)
              .withSortField(GetOption.SortTarget.KEY)
              .withSortOrder(GetOption.SortOrder.ASCEND);
      if (atRevision > 0) {
        option.withRevision(atRevision);
      }
      GetResponse response;
      try {
        response = await("list " + prefix, kv.get(from, option.build()));
      } catch (StoreException e) {
        if (isCompacted(e.getCause())) {
          throw new CompactedException(atRevision, -1);
        }
        if (page > 1 && isTooLarge(e.getCause())) {
          page /= 2;
          continue;
        }
        throw e;
      }
      if (headerRevision == 0) {
        headerRevision = response.getHeader().getRevision();
        atRevision = atRevision > 0 ? atRevision : headerRevision;
      }
      response.getKvs().forEach(kv -> items.add(toKeyValue(kv)));
      if (!response.isMore() || response.getKvs().isEmpty()) {
        return new Listing(items, headerRevision);
      }
      byte[] last = response.getKvs().get(response.getKvs().size() - 1).getKey().getBytes();
      from = ByteSequence.from(java.util.Arrays.copyOf(last, last.length + 1)); // last + "\0"
    }
  }

  /** The smallest key greater than every key that starts with {@code prefix}. */
  private static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return java.util.Arrays.copyOf(end, i + 1);
      }
    }
    return new byte[] {0}; // all 0xff: no upper bound
  }

  @Override
  public TxnResult commit(Txn txn) {
    List<Cmp> compares = new ArrayList<>();
    for (Condition condition : txn.conditions()) {
      ByteSequence key = bytes(condition.key());
      if (condition instanceof Condition.ModRevisionIs c) {
        compares.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(c.modRevision())));
      } else { // Condition.Absent
        compares.add(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)));
      }
    }
    List<Op> thens = new ArrayList<>();
    for (Write write : txn.writes()) {
      ByteSequence key = bytes(write.key());
      if (write instanceof Write.Put p) {
        PutOption option =
            p.leaseId() == 0
                ? PutOption.DEFAULT
                : PutOption.builder().withLeaseId(p.leaseId()).build();
        thens.add(Op.put(key, ByteSequence.from(p.value()), option));
      } else {
        thens.add(Op.delete(key, DeleteOption.DEFAULT));
      }
    }
    List<Op> elses = new ArrayList<>();
    for (String key : txn.readsOnFailure()) {
      elses.add(Op.get(bytes(key), GetOption.DEFAULT));
    }
    TxnResponse response =
        await(
            "txn",
            kv.txn()
                .If(compares.toArray(Cmp[]::new))
                .Then(thens.toArray(Op[]::new))
                .Else(elses.toArray(Op[]::new))
                .commit());
    Map<String, KeyValue> reads = new HashMap<>();
    if (!response.isSucceeded()) {
      for (GetResponse get : response.getGetResponses()) {
        get.getKvs()
            .forEach(
                kv -> {
                  KeyValue value = toKeyValue(kv);
                  reads.put(value.key(), value);
                });
      }
    }
    return new TxnResult(response.isSucceeded(), response.getHeader().getRevision(), reads);
  }

  @Override
  public AutoCloseable watch(String prefix, long fromRevision, WatchListener listener) {
    WatchOption option =
        WatchOption.builder().isPrefix(true).withRevision(fromRevision).withPrevKV(true).build();
    AtomicBoolean failed = new AtomicBoolean();
    Watch.Watcher watcher =
        client
            .getWatchClient()
            .watch(
                bytes(prefix),
                option,
                new Watch.Listener() {
                  @Override
                  public void onNext(WatchResponse response) {
                    if (failed.get() || response.getEvents().isEmpty()) {
                      return;
                    }
                    List<StoreEvent> events = new ArrayList<>(response.getEvents().size());
                    for (WatchEvent event : response.getEvents()) {
                      events.add(toStoreEvent(event));
                    }
                    listener.onEvents(events);
                  }

                  @Override
                  public void onError(Throwable error) {
                    if (!failed.compareAndSet(false, true)) {
                      return;
                    }
                    if (error instanceof io.etcd.jetcd.common.exception.CompactedException c) {
                      listener.onFailure(
                          new CompactedException(fromRevision, c.getCompactedRevision()));
                    } else {
                      listener.onFailure(
                          new StoreException(
                              "etcd watch of " + prefix + " failed: " + error.getMessage(), error));
                    }
                  }

                  @Override
                  public void onCompleted() {
                    if (failed.compareAndSet(false, true)) {
                      listener.onFailure(
                          new StoreException("etcd watch of " + prefix + " ended", null));
                    }
                  }
                });
    return () -> {
      failed.set(true); // closing is not a failure: the owner asked for it
      watcher.close();
    };
  }

  @Override
  public long grantLease(Duration ttl) {
    long seconds = Math.max(1, ttl.toSeconds());
    return await("lease grant", client.getLeaseClient().grant(seconds)).getID();
  }

  @Override
  public AutoCloseable keepAlive(long leaseId) {
    var handle =
        client
            .getLeaseClient()
            .keepAlive(
                leaseId,
                new StreamObserver<LeaseKeepAliveResponse>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse value) {}

                  @Override
                  public void onError(Throwable t) {
                    log.debug("lease {} keep-alive failed: {}", leaseId, t.toString());
                  }

                  @Override
                  public void onCompleted() {}
                });
    return handle::close;
  }

  @Override
  public void revokeLease(long leaseId) {
    await("lease revoke", client.getLeaseClient().revoke(leaseId));
  }

  @Override
  public void compact(long revision) {
    await(
        "compact", kv.compact(revision, CompactOption.builder().withCompactPhysical(true).build()));
  }

  @Override
  public long currentRevision() {
    return await(
            "revision", kv.get(REVISION_PROBE_KEY, GetOption.builder().withCountOnly(true).build()))
        .getHeader()
        .getRevision();
  }

  @Override
  public void close() {
    client.close();
  }

  private <T> T await(String what, CompletableFuture<T> future) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new StoreException(
          "etcd "
              + what
              + " timed out after "
              + timeout.toMillis()
              + " ms (is etcd reachable at "
              + endpointsForMessages
              + "?)",
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StoreException("etcd " + what + " failed: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new StoreException("interrupted during etcd " + what, e);
    }
  }

  private static boolean isTooLarge(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (io.grpc.Status.fromThrowable(t).getCode() == io.grpc.Status.Code.RESOURCE_EXHAUSTED
          || (t.getMessage() != null && t.getMessage().contains("exceeds maximum size"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isCompacted(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof io.etcd.jetcd.common.exception.CompactedException) {
        return true;
      }
      if (t.getMessage() != null
          && t.getMessage().contains("required revision has been compacted")) {
        return true;
      }
    }
    return false;
  }

  private static StoreEvent toStoreEvent(WatchEvent event) {
    KeyValue current = toKeyValue(event.getKeyValue());
    KeyValue previous =
        event.getPrevKV() == null || event.getPrevKV().getKey().isEmpty()
            ? null
            : toKeyValue(event.getPrevKV());
    StoreEvent.Type type =
        event.getEventType() == WatchEvent.EventType.DELETE
            ? StoreEvent.Type.DELETE
            : StoreEvent.Type.PUT;
    return new StoreEvent(type, current, previous);
  }

  private static KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(
        kv.getKey().toString(StandardCharsets.UTF_8),
        kv.getValue().getBytes(),
        kv.getCreateRevision(),
        kv.getModRevision());
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(Objects.requireNonNull(s, "key"), StandardCharsets.UTF_8);
  }
}
