package dev.switchboard.controlplane.admin;

import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.WatchEvent;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What a watch from an old resource_version must be told before the live changes: the difference
 * between the state at that version and now, as ADDED / MODIFIED / DELETED. Like a discovery
 * resume, each object's latest state stands for every change it went through since (an informer
 * needs no more: it keeps the latest state of each object). Pure.
 */
final class WatchReplay {
  private WatchReplay() {}

  /** Raw keys (pods): modified when the mod revision differs. */
  static void keys(
      Iterable<KeyValue> then, Iterable<KeyValue> now, BiConsumer<WatchEvent.Type, KeyValue> emit) {
    Map<String, KeyValue> past = new HashMap<>();
    then.forEach(kv -> past.put(kv.key(), kv));
    for (KeyValue kv : now) {
      KeyValue before = past.remove(kv.key());
      if (before == null) {
        emit.accept(WatchEvent.Type.ADDED, kv);
      } else if (before.modRevision() != kv.modRevision()) {
        emit.accept(WatchEvent.Type.MODIFIED, kv);
      }
    }
    past.values().forEach(kv -> emit.accept(WatchEvent.Type.DELETED, kv));
  }

  /** Derived resources (services, endpoints, nodes): modified when the content differs. */
  static void resources(
      Map<ResourceId, Resource> then,
      Map<ResourceId, Resource> now,
      BiConsumer<WatchEvent.Type, Resource> emit) {
    now.forEach(
        (id, resource) -> {
          Resource before = then.get(id);
          if (before == null) {
            emit.accept(WatchEvent.Type.ADDED, resource);
          } else if (!before.equals(resource)) {
            emit.accept(WatchEvent.Type.MODIFIED, resource);
          }
        });
    then.forEach(
        (id, resource) -> {
          if (!now.containsKey(id)) {
            emit.accept(WatchEvent.Type.DELETED, resource);
          }
        });
  }
}
