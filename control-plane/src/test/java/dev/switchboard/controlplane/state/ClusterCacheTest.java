package dev.switchboard.controlplane.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Listing;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.TxnResult;
import dev.switchboard.controlplane.store.WatchListener;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.testing.EtcdProcess;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cache's list-then-watch against a real etcd, including a compaction past its watch. */
class ClusterCacheTest {
  private static EtcdProcess etcd;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stop() {
    etcd.close();
  }

  @Test
  void relistsWhenEtcdCompactedPastItsWatchAndTellsListenersEveryChange() throws Exception {
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (EtcdStore store =
        EtcdStore.connect(List.of(etcd.endpoint()), "/cache1", Duration.ofSeconds(5))) {
      store.commit(new Txn().then(Write.put("services/a/gone", new byte[0])));
      // Holds the first watch back until history it starts from has been compacted away.
      CountDownLatch compacted = new CountDownLatch(1);
      GatedStore gated = new GatedStore(store, compacted);
      ClusterCache cache = new ClusterCache(gated, executor);
      Set<String> seen = ConcurrentHashMap.newKeySet();
      Set<String> deleted = ConcurrentHashMap.newKeySet();
      cache.addListener(
          (events, revision) ->
              events.forEach(
                  e -> {
                    if (e.type() == StoreEvent.Type.PUT) {
                      seen.add(e.key());
                    } else {
                      deleted.add(e.key());
                    }
                  }));
      cache.start().get(10, TimeUnit.SECONDS);
      assertThat(cache.get("services/a/gone")).isNotNull();

      store.commit(new Txn().then(Write.put("services/a/new", new byte[0])));
      store.commit(new Txn().then(Write.delete("services/a/gone")));
      store.compact(store.currentRevision());
      compacted.countDown();

      await().atMost(Duration.ofSeconds(15)).until(() -> cache.relistCount() >= 2);
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> cache.get("services/a/new") != null && cache.get("services/a/gone") == null);
      assertThat(seen).contains("services/a/new");
      assertThat(deleted).contains("services/a/gone");

      // And it keeps watching from the new revision.
      store.commit(new Txn().then(Write.put("services/a/later", new byte[0])));
      await().atMost(Duration.ofSeconds(15)).until(() -> cache.get("services/a/later") != null);
      cache.close();
    } finally {
      executor.shutdownNow();
    }
  }

  /** A real store whose first watch starts only after {@code gate} opens. */
  private record GatedStore(Store delegate, CountDownLatch gate) implements Store {
    @Override
    public AutoCloseable watch(String prefix, long fromRevision, WatchListener listener) {
      java.util.concurrent.atomic.AtomicReference<AutoCloseable> handle =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread starter =
          new Thread(
              () -> {
                try {
                  if (gate.await(10, TimeUnit.SECONDS)) {
                    handle.set(delegate.watch(prefix, fromRevision, listener));
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      starter.start();
      return () -> {
        starter.join(10_000);
        AutoCloseable h = handle.get();
        if (h != null) {
          h.close();
        }
      };
    }

    @Override
    public Optional<KeyValue> get(String key) {
      return delegate.get(key);
    }

    @Override
    public Listing list(String prefix) {
      return delegate.list(prefix);
    }

    @Override
    public Listing list(String prefix, long revision) {
      return delegate.list(prefix, revision);
    }

    @Override
    public TxnResult commit(Txn txn) {
      return delegate.commit(txn);
    }

    @Override
    public long grantLease(Duration ttl) {
      return delegate.grantLease(ttl);
    }

    @Override
    public AutoCloseable keepAlive(long leaseId) {
      return delegate.keepAlive(leaseId);
    }

    @Override
    public void revokeLease(long leaseId) {
      delegate.revokeLease(leaseId);
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
    public void close() {}
  }
}
