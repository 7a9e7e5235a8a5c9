package dev.switchboard.controlplane.store;

import java.util.Arrays;

/** A compare of a transaction: every condition must hold for the transaction's writes to apply. */
public sealed interface Condition {
  String key();

  /** The key does not exist (its create revision is 0): how allocations claim uniqueness. */
  record Absent(String key) implements Condition {}

  /** The key exists with exactly this mod revision: optimistic concurrency on resource_version. */
  record ModRevisionIs(String key, long modRevision) implements Condition {}

  /** The key holds exactly this value: how an owner frees only what it owns. */
  record ValueIs(String key, byte[] value) implements Condition {
    @Override
    public boolean equals(Object o) {
      return o instanceof ValueIs other && key.equals(other.key) && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
      return key.hashCode() * 31 + Arrays.hashCode(value);
    }
  }

  static Condition absent(String key) {
    return new Absent(key);
  }

  static Condition modRevisionIs(String key, long modRevision) {
    return new ModRevisionIs(key, modRevision);
  }

  static Condition valueIs(String key, byte[] value) {
    return new ValueIs(key, value);
  }
}
