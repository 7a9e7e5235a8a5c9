package dev.switchboard.controlplane.store;

/**
 * One change seen by a watch.
 *
 * @param current the key after the change (for a delete: key, empty value, modRevision = the
 *     delete's revision)
 * @param previous the key before the change, when etcd still had it (null otherwise)
 */
public record StoreEvent(Type type, KeyValue current, KeyValue previous) {
  public enum Type {
    PUT,
    DELETE
  }

  public String key() {
    return current.key();
  }

  public long revision() {
    return current.modRevision();
  }
}
