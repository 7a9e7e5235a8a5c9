package dev.switchboard.controlplane.alloc;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The allocation keys one write must create ({@code toTake}, each guarded by {@code createRevision
 * == 0}) and delete ({@code toFree}) in the same transaction as the object.
 */
public record AllocationDiff(SortedSet<Allocation> toTake, SortedSet<Allocation> toFree) {
  public AllocationDiff {
    toTake = Collections.unmodifiableSortedSet(new TreeSet<>(toTake));
    toFree = Collections.unmodifiableSortedSet(new TreeSet<>(toFree));
  }

  public boolean isEmpty() {
    return toTake.isEmpty() && toFree.isEmpty();
  }
}
