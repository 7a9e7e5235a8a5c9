package dev.switchboard.controlplane.store;

import java.util.List;

/** Keys read under a prefix, and the etcd revision they were read at. */
public record Listing(List<KeyValue> items, long revision) {}
