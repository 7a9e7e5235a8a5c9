package dev.switchboard.controlplane.store;

import java.util.List;

/**
 * Receives a watch's events in revision order, one call per etcd revision batch. Calls for one
 * watch never overlap.
 */
public interface WatchListener {
  /** Changes, all at or after the revision the watch started from. */
  void onEvents(List<StoreEvent> events);

  /**
   * The watch ended and will deliver nothing more: etcd compacted past the watch's revision ({@link
   * CompactedException}), or another error. The owner relists and watches again.
   */
  void onFailure(Throwable cause);
}
