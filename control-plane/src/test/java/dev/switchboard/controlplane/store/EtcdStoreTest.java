package dev.switchboard.controlplane.store;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.testing.EtcdProcess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store against a real etcd: transactions, prefixes, watches, compaction, leases. */
class EtcdStoreTest {
  private static EtcdProcess etcd;
  private static EtcdStore store;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    store = EtcdStore.connect(List.of(etcd.endpoint()), "/test", Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() {
    store.close();
    etcd.close();
  }

  @Test
  void createIfAbsentSucceedsOnceAndReportsTheHolderOnFailure() {
    Txn claim =
        new Txn()
            .when(Condition.absent("alloc/a"))
            .then(Write.put("alloc/a", "owner-1".getBytes(UTF_8)))
            .readOnFailure("alloc/a");
    assertThat(store.commit(claim).succeeded()).isTrue();

    Txn second =
        new Txn()
            .when(Condition.absent("alloc/a"))
            .then(Write.put("alloc/a", "owner-2".getBytes(UTF_8)))
            .readOnFailure("alloc/a");
    TxnResult result = store.commit(second);
    assertThat(result.succeeded()).isFalse();
    assertThat(new String(result.read("alloc/a").orElseThrow().value(), UTF_8))
        .isEqualTo("owner-1");
    assertThat(new String(store.get("alloc/a").orElseThrow().value(), UTF_8)).isEqualTo("owner-1");
  }

  @Test
  void modRevisionGuardsUpdates() {
    TxnResult created = store.commit(new Txn().then(Write.put("obj/x", new byte[] {1})));
    long rev = store.get("obj/x").orElseThrow().modRevision();
    assertThat(rev).isEqualTo(created.revision());
    assertThat(
            store
                .commit(
                    new Txn()
                        .when(Condition.modRevisionIs("obj/x", rev))
                        .then(Write.put("obj/x", new byte[] {2})))
                .succeeded())
        .isTrue();
    assertThat(
            store
                .commit(
                    new Txn()
                        .when(Condition.modRevisionIs("obj/x", rev))
                        .then(Write.put("obj/x", new byte[] {3})))
                .succeeded())
        .isFalse();
    assertThat(store.get("obj/x").orElseThrow().value()).containsExactly(2);
  }

  @Test
  void listIsScopedToPrefixAndNamespace() {
    store.commit(
        new Txn()
            .then(Write.put("list/a", new byte[0]))
            .then(Write.put("list/b", new byte[0]))
            .then(Write.put("listx", new byte[0])));
    try (EtcdStore other =
        EtcdStore.connect(List.of(etcd.endpoint()), "/other", Duration.ofSeconds(5))) {
      other.commit(new Txn().then(Write.put("list/c", new byte[0])));
    }
    assertThat(store.list("list/").items())
        .extracting(KeyValue::key)
        .containsExactly("list/a", "list/b");
  }

  @Test
  void watchDeliversChangesFromARevisionAndReportsCompaction() throws Exception {
    long start = store.currentRevision() + 1;
    store.commit(new Txn().then(Write.put("w/1", new byte[] {1})));
    store.commit(new Txn().then(Write.delete("w/1")));
    List<StoreEvent> events = new CopyOnWriteArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    try (AutoCloseable watch =
        store.watch(
            "w/",
            start,
            new WatchListener() {
              @Override
              public void onEvents(List<StoreEvent> batch) {
                events.addAll(batch);
              }

              @Override
              public void onFailure(Throwable cause) {
                failures.add(cause);
              }
            })) {
      await().atMost(Duration.ofSeconds(10)).until(() -> events.size() == 2);
      assertThat(events.get(0).type()).isEqualTo(StoreEvent.Type.PUT);
      assertThat(events.get(1).type()).isEqualTo(StoreEvent.Type.DELETE);
      assertThat(events.get(1).previous().value()).containsExactly(1);
    }

    store.commit(new Txn().then(Write.put("w/2", new byte[0])));
    long now = store.currentRevision();
    store.compact(now);
    assertThatThrownBy(() -> store.list("w/", start)).isInstanceOf(CompactedException.class);
    try (AutoCloseable watch =
        store.watch(
            "w/",
            start,
            new WatchListener() {
              @Override
              public void onEvents(List<StoreEvent> batch) {}

              @Override
              public void onFailure(Throwable cause) {
                failures.add(cause);
              }
            })) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !failures.isEmpty());
      assertThat(failures.get(0)).isInstanceOf(CompactedException.class);
    }
  }

  @Test
  void leasedKeysVanishWhenTheLeaseIsRevoked() {
    long lease = store.grantLease(Duration.ofSeconds(5));
    store.commit(new Txn().then(Write.put("alive/n1", new byte[0], lease)));
    assertThat(store.get("alive/n1")).isPresent();
    store.revokeLease(lease);
    assertThat(store.get("alive/n1")).isEmpty();
  }
}
