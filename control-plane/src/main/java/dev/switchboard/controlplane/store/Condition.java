package dev.switchboard.controlplane.store;

/** A compare of a transaction: every condition must hold for the transaction's writes to apply. */
public sealed interface Condition {
  String key();

  /** The key does not exist (its create revision is 0): how allocations claim uniqueness. */
  record Absent(String key) implements Condition {}

  /** The key exists with exactly this mod revision: optimistic concurrency on resource_version. */
  record ModRevisionIs(String key, long modRevision) implements Condition {}

  static Condition absent(String key) {
    return new Absent(key);
  }

  static Condition modRevisionIs(String key, long modRevision) {
    return new ModRevisionIs(key, modRevision);
  }
}
