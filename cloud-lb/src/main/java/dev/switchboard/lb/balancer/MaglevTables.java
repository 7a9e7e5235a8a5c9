package dev.switchboard.lb.balancer;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maglev tables by backend set, shared by every listener: all Cluster-policy services have the same
 * node set, so one table serves them all, and it is built once, off the event loops, by the
 * balancer before the listeners see the new set ({@link #prepare}). A listener asking for a set
 * that is not here (a race with {@link #retainOnly}) builds it itself; the result is the same
 * either way.
 *
 * <p>Thread-safe: read from event loops, written by the balancer.
 */
public final class MaglevTables {
  private final int tableSize;
  private final Map<List<String>, MaglevTable> tables = new ConcurrentHashMap<>();

  public MaglevTables(int tableSize) {
    MaglevTable.checkSize(tableSize);
    this.tableSize = tableSize;
  }

  public int tableSize() {
    return tableSize;
  }

  /** The table for these backends (order and duplicates do not matter), built if needed. */
  public MaglevTable get(Collection<String> names) {
    List<String> key = List.copyOf(new TreeSet<>(names));
    return tables.computeIfAbsent(key, k -> MaglevTable.build(k, tableSize));
  }

  /** Builds the table for a set now, so that no event loop has to. Returns its key. */
  public List<String> prepare(Collection<String> names) {
    return get(names).backends();
  }

  /** Forgets the tables of sets no longer in use. */
  public void retainOnly(Set<List<String>> inUse) {
    tables.keySet().retainAll(inUse);
  }

  public int cached() {
    return tables.size();
  }
}
