package dev.switchboard.forwarder;

import dev.switchboard.forwarder.internal.Checks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * One backend of a listener: an address and port with the EndpointSlice conditions of Kubernetes'
 * discovery/v1.
 *
 * <p>{@code ready} endpoints take new connections. {@code terminating} endpoints take none, except
 * when no endpoint is ready: then those that are still {@code serving} are used (Kubernetes'
 * terminating-endpoint fallback). Identity for picking, affinity and retries is {@link #socketAddress()};
 * the conditions are state.
 *
 * @param ip resolved IP address (never a host name to resolve later)
 * @param port 1-65535
 * @param ready accepts new connections (in Kubernetes: serving and not terminating)
 * @param serving passes its readiness checks, whether terminating or not
 * @param terminating being shut down: keeps its open connections, gets no new ones
 * @param nodeName the node it runs on, if known (used later for externalTrafficPolicy Local)
 */
public record Endpoint(InetAddress ip, int port, boolean ready, boolean serving, boolean terminating,
                       Optional<String> nodeName) {

    public Endpoint {
        Checks.notNull(ip, "ip");
        Checks.inRange(port, 1, 65535, "port");
        Checks.notNull(nodeName, "nodeName");
    }

    /** A ready, serving, not terminating endpoint with no node. */
    public static Endpoint ready(InetSocketAddress address) {
        Checks.notNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address: " + address + " (expected: a resolved IP address)");
        }
        return new Endpoint(address.getAddress(), address.getPort(), true, true, false, Optional.empty());
    }

    /** The same endpoint, draining: serving but terminating, so not ready. */
    public Endpoint asTerminating() {
        return new Endpoint(ip, port, false, serving, true, nodeName);
    }

    /** The same endpoint with other conditions. */
    public Endpoint withConditions(boolean ready, boolean serving, boolean terminating) {
        return new Endpoint(ip, port, ready, serving, terminating, nodeName);
    }

    public Endpoint withNodeName(String node) {
        return new Endpoint(ip, port, ready, serving, terminating, Optional.of(node));
    }

    /** The address to connect to; also the endpoint's identity. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(ip, port);
    }

    @Override
    public String toString() {
        return ip.getHostAddress() + ":" + port + (ready ? "" : " !ready") + (serving ? "" : " !serving")
                + (terminating ? " terminating" : "") + nodeName.map(n -> " @" + n).orElse("");
    }
}
