package dev.switchboard.controlplane.alloc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The addresses LoadBalancer services get their external IP from (local mode: 127.0.2.0/24).
 *
 * <p>Each pool is a CIDR or an inclusive range {@code first-last}. In a CIDR of /30 or larger the
 * network and broadcast addresses are skipped (nothing can listen on them usefully); a /31 or /32
 * and an explicit range give every address, because whoever wrote them meant exactly those. Pools
 * may not overlap, so that one address has one place.
 *
 * <p>Picks start at a random place in the union of the pools and probe forward, for the same reason
 * as {@link BandPicker}: concurrent replicas rarely race for the same address.
 */
public final class LbIpPools {
  /** One pool: the usable addresses {@code [first, last]} and how the operator wrote it. */
  public record Pool(long first, long last, String spec) {
    public Pool {
      if (first < 0 || last >= Ipv4.ADDRESS_SPACE || last < first) {
        throw new IllegalArgumentException(
            "pool: " + spec + " (expected: first <= last, both IPv4)");
      }
    }

    public long size() {
      return last - first + 1;
    }

    public boolean contains(long address) {
      return address >= first && address <= last;
    }
  }

  private final List<Pool> pools;
  private final long size;

  private LbIpPools(List<Pool> pools) {
    List<Pool> sorted = new ArrayList<>(pools);
    sorted.sort(Comparator.comparingLong(Pool::first));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).first() <= sorted.get(i - 1).last()) {
        throw new IllegalArgumentException(
            "pools: "
                + sorted.get(i - 1).spec()
                + " and "
                + sorted.get(i).spec()
                + " (expected: pools that do not overlap)");
      }
    }
    this.pools = List.copyOf(sorted);
    this.size = sorted.stream().mapToLong(Pool::size).sum();
  }

  /** No pools: LoadBalancer services get no external IP. */
  public static LbIpPools none() {
    return new LbIpPools(List.of());
  }

  /**
   * Parses a comma-separated list of pools: "127.0.2.0/24, 10.0.0.5-10.0.0.9"; blank means none.
   */
  public static LbIpPools parse(String commaSeparated) {
    if (commaSeparated == null || commaSeparated.isBlank()) {
      return none();
    }
    return of(List.of(commaSeparated.split(",")));
  }

  /** Parses each entry as a CIDR or as an inclusive range "first-last". */
  public static LbIpPools of(List<String> entries) {
    List<Pool> pools = new ArrayList<>();
    for (String raw : entries) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      pools.add(parsePool(entry));
    }
    return new LbIpPools(pools);
  }

  private static Pool parsePool(String entry) {
    if (entry.contains("/")) {
      Ipv4Cidr cidr = Ipv4Cidr.parse(entry);
      if (cidr.prefixLength() >= 31) {
        return new Pool(cidr.network(), cidr.last(), entry);
      }
      return new Pool(cidr.network() + 1, cidr.last() - 1, entry);
    }
    int dash = entry.indexOf('-');
    if (dash < 0) {
      long ip = Ipv4.parseOrThrow(entry, "pool");
      return new Pool(ip, ip, entry);
    }
    long first = Ipv4.parseOrThrow(entry.substring(0, dash).trim(), "pool");
    long last = Ipv4.parseOrThrow(entry.substring(dash + 1).trim(), "pool");
    if (last < first) {
      throw new IllegalArgumentException(
          "pool: \"" + entry + "\" (expected: FIRST-LAST with FIRST <= LAST)");
    }
    return new Pool(first, last, entry);
  }

  public List<Pool> pools() {
    return pools;
  }

  public boolean isEmpty() {
    return pools.isEmpty();
  }

  /** The number of addresses the pools can hand out. */
  public long size() {
    return size;
  }

  /** Whether {@code ip} is one the pools can hand out. */
  public boolean contains(String ip) {
    OptionalLong address = Ipv4.parse(ip);
    return address.isPresent() && pools.stream().anyMatch(p -> p.contains(address.getAsLong()));
  }

  /** A free address from the pools; empty when there are none or all are used. */
  public Optional<String> pick(Predicate<String> isUsed, Random random) {
    if (size == 0) {
      return Optional.empty();
    }
    OptionalLong index =
        BandPicker.pickIn(0, size - 1, i -> isUsed.test(Ipv4.format(addressAt(i))), random);
    return index.isPresent()
        ? Optional.of(Ipv4.format(addressAt(index.getAsLong())))
        : Optional.empty();
  }

  /** The {@code index}-th address of the pools taken in order, as if they were one list. */
  private long addressAt(long index) {
    long rest = index;
    for (Pool pool : pools) {
      if (rest < pool.size()) {
        return pool.first() + rest;
      }
      rest -= pool.size();
    }
    throw new IllegalArgumentException("index: " + index + " (expected: 0.." + (size - 1) + ")");
  }

  /** The pools as the operator wrote them, e.g. "127.0.2.0/24, 10.0.0.5-10.0.0.9". */
  @Override
  public String toString() {
    return pools.stream().map(Pool::spec).collect(Collectors.joining(", "));
  }
}
