package dev.switchboard.controlplane.store;

/**
 * One stored key with its value and etcd revisions. Keys are relative to the store's prefix.
 *
 * @param createRevision the revision that created the key (0: the key does not exist)
 * @param modRevision the revision of the last change: the object's resource_version
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision) {}
