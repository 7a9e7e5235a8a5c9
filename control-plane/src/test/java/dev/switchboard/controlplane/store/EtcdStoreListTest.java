package dev.switchboard.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.testing.EtcdProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lists are read in pages at one revision: a listing larger than gRPC's 4 MiB message limit (found
 * by the control-plane scale benchmark: a replica with 10,000 services could not start) still
 * arrives whole, consistent and confined to the store's prefix.
 */
class EtcdStoreListTest {
  private static EtcdProcess etcd;
  private static EtcdStore paged;
  private static EtcdStore neighbour;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    paged =
        EtcdStore.connect(
            List.of(etcd.endpoint()),
            "/paged",
            Duration.ofSeconds(10),
            3,
            EtcdStore.MAX_INBOUND_BYTES);
    // A sibling prefix that sorts right after ours: none of its keys may leak into our lists.
    neighbour = EtcdStore.connect(List.of(etcd.endpoint()), "/pagedx", Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() {
    paged.close();
    neighbour.close();
    etcd.close();
  }

  @Test
  void pagesAddUpToOneConsistentListingWithinThePrefix() {
    for (int i = 0; i < 8; i++) {
      paged.commit(new Txn().then(Write.put("pods/p" + i, new byte[] {(byte) i})));
      neighbour.commit(new Txn().then(Write.put("pods/p" + i, new byte[] {9})));
    }
    paged.commit(new Txn().then(Write.put("podsx", new byte[] {1})));
    paged.commit(new Txn().then(Write.put("services/s", new byte[] {2})));

    Listing all = paged.list("");
    assertThat(all.items())
        .extracting(KeyValue::key)
        .containsExactly(
            "pods/p0",
            "pods/p1",
            "pods/p2",
            "pods/p3",
            "pods/p4",
            "pods/p5",
            "pods/p6",
            "pods/p7",
            "podsx",
            "services/s");
    assertThat(all.revision()).isEqualTo(paged.currentRevision());
    assertThat(paged.list("pods/").items())
        .hasSize(8)
        .allSatisfy(kv -> assertThat(kv.key()).startsWith("pods/"));

    long before = all.revision();
    paged.commit(new Txn().then(Write.delete("pods/p3")).then(Write.delete("pods/p4")));
    assertThat(paged.list("pods/").items()).hasSize(6);
    assertThat(paged.list("pods/", before).items()).hasSize(8);
  }

  @Test
  void aPageLargerThanTheMessageLimitIsAskedForInHalves() {
    // 1,000 keys of 1 KiB per page would be ~1 MiB: over a 256 KiB limit, so pages shrink.
    EtcdStore small =
        EtcdStore.connect(
            List.of(etcd.endpoint()), "/halves", Duration.ofSeconds(10), 1000, 256 << 10);
    try {
      byte[] value = new byte[1024];
      for (int batch = 0; batch < 10; batch++) {
        Txn txn = new Txn();
        for (int i = 0; i < 100; i++) {
          txn.then(Write.put(String.format("pods/ns/p%05d", batch * 100 + i), value));
        }
        small.commit(txn);
      }
      assertThat(small.list("pods/").items()).hasSize(1000);
    } finally {
      small.close();
    }
  }

  @Test
  void aListingOverFourMebibytesArrivesWhole() {
    EtcdStore store = EtcdStore.connect(List.of(etcd.endpoint()), "/big", Duration.ofSeconds(10));
    try {
      byte[] value = new byte[1024];
      for (int batch = 0; batch < 60; batch++) {
        Txn txn = new Txn();
        for (int i = 0; i < 100; i++) {
          txn.then(Write.put(String.format("pods/ns/p%05d", batch * 100 + i), value));
        }
        store.commit(txn);
      }
      assertThat(store.list("").items()).hasSize(6000); // ~6.3 MB
    } finally {
      store.close();
    }
  }
}
