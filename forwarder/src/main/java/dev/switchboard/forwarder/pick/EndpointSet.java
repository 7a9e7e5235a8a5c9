package dev.switchboard.forwarder.pick;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable endpoint set with its candidates for new connections worked out once, when the set
 * changes, rather than on every pick.
 *
 * <p>Candidates follow kube-proxy: the endpoints that are ready and not terminating; when there are
 * none, the terminating endpoints that are still serving (so a service whose pods are all draining
 * keeps answering). Duplicated addresses are kept once (first wins).
 */
public final class EndpointSet {

    public static final EndpointSet EMPTY = new EndpointSet(List.of());

    private final List<Endpoint> all;
    private final List<Endpoint> candidates;
    private final boolean terminatingFallback;
    private final Map<InetSocketAddress, Endpoint> byAddress;
    private final Map<InetSocketAddress, Endpoint> candidatesByAddress;

    public EndpointSet(List<Endpoint> endpoints) {
        Map<InetSocketAddress, Endpoint> unique = new LinkedHashMap<>();
        for (Endpoint e : endpoints) {
            unique.putIfAbsent(e.socketAddress(), e);
        }
        List<Endpoint> ready = new ArrayList<>();
        List<Endpoint> draining = new ArrayList<>();
        for (Endpoint e : unique.values()) {
            if (e.ready() && !e.terminating()) {
                ready.add(e);
            } else if (e.terminating() && e.serving()) {
                draining.add(e);
            }
        }
        this.all = List.copyOf(unique.values());
        this.byAddress = Collections.unmodifiableMap(unique);
        this.terminatingFallback = ready.isEmpty() && !draining.isEmpty();
        this.candidates = List.copyOf(ready.isEmpty() ? draining : ready);
        Map<InetSocketAddress, Endpoint> c = new LinkedHashMap<>();
        for (Endpoint e : candidates) {
            c.put(e.socketAddress(), e);
        }
        this.candidatesByAddress = Collections.unmodifiableMap(c);
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
        return byAddress.get(address);
    }

    /** The candidate with this address, or null when it is absent or may not take new connections. */
    public Endpoint candidate(InetSocketAddress address) {
        return candidatesByAddress.get(address);
    }

    @Override
    public String toString() {
        return "EndpointSet" + all + (terminatingFallback ? " (terminating fallback)" : "");
    }
}
