package dev.switchboard.controlplane.store;

/** A write of a transaction. */
public sealed interface Write {
  String key();

  /** Puts a value; {@code leaseId} 0 means no lease. */
  record Put(String key, byte[] value, long leaseId) implements Write {}

  record Delete(String key) implements Write {}

  static Write put(String key, byte[] value) {
    return new Put(key, value, 0);
  }

  static Write put(String key, byte[] value, long leaseId) {
    return new Put(key, value, leaseId);
  }

  static Write delete(String key) {
    return new Delete(key);
  }
}
