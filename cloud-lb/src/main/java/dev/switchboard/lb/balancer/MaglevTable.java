package dev.switchboard.lb.balancer;

import dev.switchboard.checks.Checks;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * A Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
 * Balancer", NSDI 2016, section 3.4): each backend has a permutation of the M slots, from two
 * hashes of its name (offset and skip); backends take turns claiming their next preferred free slot
 * until all M are taken. Every backend ends with M/N slots (±1), and a change of the backend set
 * moves few slots.
 *
 * <p>Deterministic: the backends are sorted by name and hashed with {@link Hash64}'s fixed seeds,
 * so two tables built anywhere from the same names and size are identical. Immutable, so shared
 * freely between event loops once built.
 */
public final class MaglevTable {
  /** The paper's example size: a prime, large enough for ±1% balance up to ~650 backends. */
  public static final int DEFAULT_SIZE = 65_537;

  /** Largest table accepted: 64 MiB of entries is already absurd for a node list. */
  public static final int MAX_SIZE = 16_777_213;

  private final List<String> backends;
  private final int[] entries;

  private MaglevTable(List<String> backends, int[] entries) {
    this.backends = backends;
    this.entries = entries;
  }

  /**
   * @param names backend names (order and duplicates do not matter)
   * @param size M, a prime; it should be at least 100 times the number of backends for ±1% balance.
   *     With more backends than slots the table still fills, and the backends that come last in the
   *     rounds get no slot (and so no clients).
   */
  public static MaglevTable build(Collection<String> names, int size) {
    checkSize(size);
    List<String> sorted = List.copyOf(new TreeSet<>(Checks.notNull(names, "names")));
    int n = sorted.size();
    int[] entries = new int[n == 0 ? 0 : size];
    if (n == 0) {
      return new MaglevTable(sorted, entries);
    }
    long[] offset = new long[n];
    long[] skip = new long[n];
    for (int i = 0; i < n; i++) {
      byte[] name = sorted.get(i).getBytes(StandardCharsets.UTF_8);
      offset[i] = Long.remainderUnsigned(Hash64.hash(name, Hash64.OFFSET_SEED), size);
      skip[i] = Long.remainderUnsigned(Hash64.hash(name, Hash64.SKIP_SEED), size - 1) + 1;
    }
    Arrays.fill(entries, -1);
    long[] next = new long[n];
    int filled = 0;
    while (true) {
      for (int i = 0; i < n; i++) {
        int slot;
        do { // skip is in [1, M-1] and M is prime: the walk visits every slot, so this ends
          slot = (int) ((offset[i] + next[i] * skip[i]) % size);
          next[i]++;
        } while (entries[slot] >= 0);
        entries[slot] = i;
        if (++filled == size) {
          return new MaglevTable(sorted, entries);
        }
      }
    }
  }

  /** Sorted, without duplicates: the order entries refer to. */
  public List<String> backends() {
    return backends;
  }

  /** M, or 0 for a table without backends. */
  public int size() {
    return entries.length;
  }

  /** The backend for a client address, or null when there are no backends. */
  public String lookup(InetAddress client) {
    return lookup(clientKey(client));
  }

  /** The backend for a key (see {@link #clientKey}), or null when there are no backends. */
  public String lookup(long key) {
    if (entries.length == 0) {
      return null;
    }
    return backends.get(entries[(int) Long.remainderUnsigned(key, entries.length)]);
  }

  /** Slots held by each backend, in {@link #backends()} order: for tests and metrics. */
  public int[] slotCounts() {
    int[] counts = new int[backends.size()];
    for (int e : entries) {
      counts[e]++;
    }
    return counts;
  }

  /** The hash every replica computes for a client: of the address bytes only, never the port. */
  public static long clientKey(InetAddress client) {
    return Hash64.hash(client.getAddress(), Hash64.CLIENT_SEED);
  }

  /** Throws unless {@code size} is a usable M: a prime in 3-{@link #MAX_SIZE}. */
  public static void checkSize(int size) {
    if (size < 3 || size > MAX_SIZE || !BigInteger.valueOf(size).isProbablePrime(30)) {
      throw new IllegalArgumentException(
          "maglevTableSize: " + size + " (expected: a prime in 3-" + MAX_SIZE + ", e.g. 65537)");
    }
  }
}
