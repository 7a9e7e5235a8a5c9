package dev.switchboard.controlplane.state;

import dev.switchboard.controlplane.store.StoreEvent;
import java.util.List;

/** Sees every change the {@link ClusterCache} applies, on the cache thread, in revision order. */
public interface CacheListener {
  /**
   * @param events the changes (each with the cache's previous value of its key, or null)
   * @param revision the cache's revision after them
   */
  void onChanges(List<StoreEvent> events, long revision);
}
