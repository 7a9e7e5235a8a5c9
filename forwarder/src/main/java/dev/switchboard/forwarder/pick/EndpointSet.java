package dev.switchboard.forwarder.pick;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable endpoint set with its candidates for new connections worked out once, when the set
 * changes, rather than on every pick.
 *
 * <p>Candidates follow kube-proxy: the endpoints that are ready and not terminating; when there are
 * none, the terminating endpoints that are still serving (so a service whose pods are all draining
 * keeps answering). Duplicated addresses are kept once (first wins).
 *
 * <p>Compact, because a node agent holds one per listener (11,000 at 10,000 services): the lists
 * are shared with the input when nothing is dropped, and lookups by address scan small sets (a
 * service's handful of endpoints) instead of keeping hash maps; only sets larger than {@value
 * #INDEX_THRESHOLD} get an index.
 */
public final class EndpointSet {

  public static final EndpointSet EMPTY = new EndpointSet(List.of());

  /** Above this many endpoints, lookups by address use a hash index rather than a scan. */
  static final int INDEX_THRESHOLD = 16;

  private final List<Endpoint> all;
  private final List<Endpoint> candidates;
  private final boolean terminatingFallback;

  /** Null for small sets: {@link #find} scans {@link #all}. */
  private final Map<InetSocketAddress, Endpoint> byAddress;

  public EndpointSet(List<Endpoint> endpoints) {
    List<Endpoint> input = List.copyOf(endpoints); // no copy when already immutable
    Set<InetSocketAddress> seen = new HashSet<>();
    List<Endpoint> unique = new ArrayList<>(input.size());
    List<Endpoint> ready = new ArrayList<>(input.size());
    List<Endpoint> draining = new ArrayList<>();
    for (Endpoint e : input) {
      if (!seen.add(e.socketAddress())) {
        continue;
      }
      unique.add(e);
      if (e.ready() && !e.terminating()) {
        ready.add(e);
      } else if (e.terminating() && e.serving()) {
        draining.add(e);
      }
    }
    this.all = unique.size() == input.size() ? input : List.copyOf(unique);
    this.terminatingFallback = ready.isEmpty() && !draining.isEmpty();
    List<Endpoint> usable = ready.isEmpty() ? draining : ready;
    this.candidates = usable.size() == all.size() ? all : List.copyOf(usable);
    if (all.size() > INDEX_THRESHOLD) {
      Map<InetSocketAddress, Endpoint> index = new HashMap<>();
      for (Endpoint e : all) {
        index.put(e.socketAddress(), e);
      }
      this.byAddress = index;
    } else {
      this.byAddress = null;
    }
  }

  /** Every endpoint, usable or not. */
  public List<Endpoint> all() {
    return all;
  }

  /** Endpoints that may take a new connection, see the class comment. */
  public List<Endpoint> candidates() {
    return candidates;
  }

  /** True when the candidates are terminating endpoints because none is ready. */
  public boolean terminatingFallback() {
    return terminatingFallback;
  }

  /** The endpoint with this address, whatever its conditions, or null. */
  public Endpoint find(InetSocketAddress address) {
    if (byAddress != null) {
      return byAddress.get(address);
    }
    for (Endpoint e : all) {
      if (e.hasAddress(address)) {
        return e;
      }
    }
    return null;
  }

  /** The candidate with this address, or null when it is absent or may not take new connections. */
  public Endpoint candidate(InetSocketAddress address) {
    Endpoint e = find(address);
    return e != null && isCandidate(e) ? e : null;
  }

  private boolean isCandidate(Endpoint e) {
    return terminatingFallback ? e.terminating() && e.serving() : e.ready() && !e.terminating();
  }

  @Override
  public String toString() {
    return "EndpointSet" + all + (terminatingFallback ? " (terminating fallback)" : "");
  }
}
