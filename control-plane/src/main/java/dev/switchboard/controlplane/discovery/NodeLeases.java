package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.ObjectMeta;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node registration and liveness. A node's object ({@code nodes/NAME}) is written when its agent
 * says hello; its liveness key ({@code nodeleases/NAME}) is held by an etcd lease that the
 * replica serving the stream keeps alive. When the stream ends the lease is revoked; when the
 * replica dies the lease lapses after its TTL. Either way the node stops being ready.
 */
final class NodeLeases {
  private static final Logger log = LoggerFactory.getLogger(NodeLeases.class);

  private final Store store;
  private final Duration ttl;

  NodeLeases(Store store, Duration ttl) {
    this.store = store;
    this.ttl = ttl;
  }

  /** Marks the node ready until the returned handle is closed. Blocks on etcd. */
  AutoCloseable register(String name, String address, Map<String, String> labels) {
    Node node = Node.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name).putAllLabels(labels))
        .setAddress(address)
        .build();
    Optional<KeyValue> stored = store.get(Keys.node(name));
    long lease = store.grantLease(ttl);
    Txn txn = new Txn().then(Write.put(Keys.nodeLease(name), new byte[0], lease));
    boolean unchanged = stored.isPresent() && sameNode(StoredObjects.node(stored.get()), node);
    if (!unchanged) {
      Node toStore = stored.isPresent()
          ? node.toBuilder().setMetadata(node.getMetadata().toBuilder()
              .setCreationTimestampMillis(StoredObjects.node(stored.get()).getMetadata()
                  .getCreationTimestampMillis())).build()
          : node.toBuilder().setMetadata(node.getMetadata().toBuilder()
              .setCreationTimestampMillis(System.currentTimeMillis())).build();
      txn.then(Write.put(Keys.node(name), toStore.toByteArray()));
    }
    store.commit(txn);
    AutoCloseable keepAlive = store.keepAlive(lease);
    return () -> {
      try {
        keepAlive.close();
      } finally {
        try {
          store.revokeLease(lease);
        } catch (RuntimeException e) {
          log.warn("node {}: revoking lease failed ({}); it lapses in {}", name, e.getMessage(), ttl);
        }
      }
    };
  }

  private static boolean sameNode(Node stored, Node wanted) {
    return stored.getAddress().equals(wanted.getAddress())
        && stored.getMetadata().getLabelsMap().equals(wanted.getMetadata().getLabelsMap());
  }
}
