package dev.switchboard.controlplane.store;

import java.time.Duration;
import java.util.Optional;

/**
 * The control plane's only door to etcd. Speaks keys relative to a configured prefix, bytes and
 * revisions; knows nothing of services or pods. Every call is bounded by a timeout and fails with
 * {@link StoreException} rather than hanging while etcd is away.
 */
public interface Store extends AutoCloseable {
  Optional<KeyValue> get(String key);

  /** Every key under {@code prefix} at the current revision. */
  Listing list(String prefix);

  /**
   * Every key under {@code prefix} as it was at {@code revision}.
   *
   * @throws CompactedException when that revision was compacted away
   */
  Listing list(String prefix, long revision);

  TxnResult commit(Txn txn);

  /**
   * Watches {@code prefix} from {@code fromRevision} (inclusive). Events arrive on one thread at a
   * time, in order. Close the returned handle to stop.
   */
  AutoCloseable watch(String prefix, long fromRevision, WatchListener listener);

  /** Grants a lease of {@code ttl}; keys put with it vanish when it is not kept alive. */
  long grantLease(Duration ttl);

  /** Keeps a lease alive until the handle is closed (which does not revoke it). */
  AutoCloseable keepAlive(long leaseId);

  void revokeLease(long leaseId);

  /** Compacts history up to {@code revision} (operations, tests). */
  void compact(long revision);

  /** The current revision. */
  long currentRevision();

  @Override
  void close();
}
