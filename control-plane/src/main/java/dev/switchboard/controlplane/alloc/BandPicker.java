package dev.switchboard.controlplane.alloc;

import java.util.OptionalLong;
import java.util.Random;
import java.util.function.LongPredicate;

/**
 * Kubernetes' static/dynamic split (KEP-3070), shared by ClusterIPs and NodePorts.
 *
 * <p>A range of offsets {@code [first, last]} is cut in two: a small static band at the low end,
 * which users are told to use for the addresses they request by hand, and the dynamic band above
 * it. Automatic picks come from the dynamic band while it has room, so a request for a fixed value
 * in the static band rarely collides with an automatic one.
 *
 * <p>Within a band a pick starts at a random offset and probes upward, wrapping once: O(1) expected
 * while the band is sparsely used, O(band) at worst, never more than one full pass. A random start
 * (not "lowest free") keeps two control-plane replicas that allocate at the same time from racing
 * for the same value, which would cost one of them a retry.
 */
final class BandPicker {
  private BandPicker() {}

  /**
   * Picks from the dynamic band {@code [staticEnd, last]} first, then from the static band {@code
   * [first, staticEnd)}; empty when both are full.
   */
  static OptionalLong pick(
      long first, long staticEnd, long last, LongPredicate isUsed, Random random) {
    OptionalLong upper = pickIn(staticEnd, last, isUsed, random);
    return upper.isPresent() ? upper : pickIn(first, staticEnd - 1, isUsed, random);
  }

  /** A free offset in {@code [lo, hi]} (empty when the band is empty or full). */
  static OptionalLong pickIn(long lo, long hi, LongPredicate isUsed, Random random) {
    if (hi < lo) {
      return OptionalLong.empty();
    }
    long size = hi - lo + 1;
    long start = lo + random.nextLong(size);
    for (long i = 0; i < size; i++) {
      long candidate = start + i;
      if (candidate > hi) {
        candidate -= size;
      }
      if (!isUsed.test(candidate)) {
        return OptionalLong.of(candidate);
      }
    }
    return OptionalLong.empty();
  }

  /**
   * Kubernetes' size of the static band: {@code min(max(min, size / step), max)}, or 0 when the
   * whole range is no larger than {@code min} (too small to split).
   */
  static long staticBandSize(long rangeSize, long min, long step, long max) {
    if (rangeSize <= min) {
      return 0;
    }
    return Math.min(Math.max(min, rangeSize / step), max);
  }
}
