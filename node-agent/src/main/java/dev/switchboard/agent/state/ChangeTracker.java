package dev.switchboard.agent.state;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Pending changes per object, kube-proxy style: the first change of an object remembers its state
 * before, later ones only replace its state after, and an object whose state after equals its state
 * before is dropped. A sync takes everything pending at once with {@link #drain()}.
 *
 * <p>Not thread-safe: confined to the agent's executor.
 *
 * @param <K> object key
 * @param <V> object state, compared with {@code equals}; null = absent
 */
public final class ChangeTracker<K, V> {

  /** An object's state before the first pending change and after the last one. */
  public record Change<V>(V previous, V current) {}

  private final Map<K, Change<V>> pending = new LinkedHashMap<>();

  /** Records that {@code key} went from {@code previous} to {@code current}. */
  public void update(K key, V previous, V current) {
    Objects.requireNonNull(key, "key");
    Change<V> before = pending.get(key);
    V from = before == null ? previous : before.previous();
    if (Objects.equals(from, current)) {
      pending.remove(key);
    } else {
      pending.put(key, new Change<>(from, current));
    }
  }

  /** Number of objects with a pending change. */
  public int size() {
    return pending.size();
  }

  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Takes every pending change (in first-change order) and forgets them. */
  public Map<K, Change<V>> drain() {
    if (pending.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<K, Change<V>> out = new LinkedHashMap<>(pending);
    pending.clear();
    return out;
  }
}
