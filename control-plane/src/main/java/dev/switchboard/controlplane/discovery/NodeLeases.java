package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.Condition;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreException;
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
 * Node registration and liveness. A node's object ({@code nodes/NAME}) is written ready when its
 * agent says hello; its liveness key ({@code nodeleases/NAME}) is held by an etcd lease that the
 * replica serving the stream keeps alive. When the agent goes the lease is revoked; when the
 * replica dies (or shuts down) the lease lapses after its TTL, unless the agent reached another
 * replica first. {@link NodeLifecycle} turns a missing liveness key into a node not ready.
 */
final class NodeLeases {
  private static final Logger log = LoggerFactory.getLogger(NodeLeases.class);

  /** Registration reads, then writes on condition: a few rounds settle any race. */
  private static final int ATTEMPTS = 5;

  private final Store store;
  private final Duration ttl;

  NodeLeases(Store store, Duration ttl) {
    this.store = store;
    this.ttl = ttl;
  }

  /** A node's hold on its liveness key. */
  interface Registration {
    /** The agent went away: its node is not ready from now on. */
    void release();

    /**
     * This replica goes away, not the agent: stop renewing and let the lease lapse after its TTL,
     * so the agent has that long to reach another replica before its node is not ready.
     */
    void abandon();
  }

  /** Marks the node ready until the returned registration ends. Blocks on etcd. */
  Registration register(String name, String address, Map<String, String> labels) {
    Node wanted =
        Node.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setName(name).putAllLabels(labels))
            .setAddress(address)
            .setReady(true)
            .build();
    long lease = store.grantLease(ttl);
    for (int attempt = 1; ; attempt++) {
      Optional<KeyValue> stored = store.get(Keys.node(name));
      Txn txn = new Txn().then(Write.put(Keys.nodeLease(name), new byte[0], lease));
      if (stored.isEmpty()) {
        txn.when(Condition.absent(Keys.node(name)))
            .then(
                Write.put(
                    Keys.node(name),
                    stored(
                        wanted.toBuilder()
                            .setMetadata(
                                wanted.getMetadata().toBuilder()
                                    .setCreationTimestampMillis(System.currentTimeMillis())))));
      } else {
        Node current = StoredObjects.node(stored.get());
        // Conditional even when unchanged: a lifecycle write of not ready in between must not
        // leave this node not ready with its liveness key present.
        txn.when(Condition.modRevisionIs(Keys.node(name), stored.get().modRevision()));
        if (!sameNode(current, wanted)) {
          txn.then(
              Write.put(
                  Keys.node(name),
                  stored(
                      wanted.toBuilder()
                          .setMetadata(
                              wanted.getMetadata().toBuilder()
                                  .setCreationTimestampMillis(
                                      current.getMetadata().getCreationTimestampMillis())))));
        }
      }
      if (store.commit(txn).succeeded()) {
        break;
      }
      if (attempt == ATTEMPTS) {
        revokeQuietly(name, lease);
        throw new StoreException(
            "node " + name + ": registration lost " + ATTEMPTS + " races in a row", null);
      }
    }
    AutoCloseable keepAlive = store.keepAlive(lease);
    return new Registration() {
      @Override
      public void release() {
        stopRenewing();
        revokeQuietly(name, lease);
      }

      @Override
      public void abandon() {
        stopRenewing();
      }

      private void stopRenewing() {
        try {
          keepAlive.close();
        } catch (Exception e) {
          log.debug("node {}: closing the keep-alive: {}", name, e.toString());
        }
      }
    };
  }

  /** The bytes to store for {@code node}: the object as written, without a resource version. */
  static byte[] stored(Node.Builder node) {
    node.getMetadataBuilder().clearResourceVersion();
    return node.build().toByteArray();
  }

  private void revokeQuietly(String name, long lease) {
    try {
      store.revokeLease(lease);
    } catch (RuntimeException e) {
      log.warn("node {}: revoking lease failed ({}); it lapses in {}", name, e.getMessage(), ttl);
    }
  }

  private static boolean sameNode(Node stored, Node wanted) {
    return stored.getReady()
        && stored.getAddress().equals(wanted.getAddress())
        && stored.getMetadata().getLabelsMap().equals(wanted.getMetadata().getLabelsMap());
  }
}
