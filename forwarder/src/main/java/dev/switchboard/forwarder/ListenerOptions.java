package dev.switchboard.forwarder;

import dev.switchboard.forwarder.internal.Checks;
import dev.switchboard.forwarder.pick.EndpointPicker;
import dev.switchboard.forwarder.pick.RandomPicker;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Per-listener tuning. Start from {@link #DEFAULTS} and change fields with the {@code with...} methods.
 *
 * @param connectTimeout TCP: how long one connect attempt to an endpoint may take
 * @param idleTimeout TCP: close a connection with no bytes in either direction for this long; 0 = never
 * @param maxConnections TCP: open connections above this are closed at once; 0 = unlimited
 * @param maxConnectAttempts TCP: distinct endpoints tried before the client is closed (1 = no retry)
 * @param reusePort bind with SO_REUSEPORT (several agents on one host share a ClusterIP listener);
 *     ignored by transports without it
 * @param splice TCP: move bytes with splice(2) when both sockets are epoll sockets; else copy (the
 *     default: splice needs two pipes, i.e. four more file descriptors and about ten more system calls
 *     per connection, which costs short connections far more than it saves on bulk ones; see
 *     docs/benchmarks.md)
 * @param udpIdleTimeout UDP: a client flow with no datagram in either direction for this long is dropped
 * @param udpMaxFlows UDP: datagrams that would open a flow beyond this many are dropped
 * @param picker makes the endpoint picker of the listener (wrapped for ClientIP affinity when asked);
 *     called once per listener, and again when affinity changes
 * @param preamble TCP: bytes sent to the endpoint before the client's (a PROXY protocol header);
 *     {@link ConnectionPreamble#NONE} for none
 */
public record ListenerOptions(Duration connectTimeout, Duration idleTimeout, int maxConnections,
                              int maxConnectAttempts, boolean reusePort, boolean splice,
                              Duration udpIdleTimeout, int udpMaxFlows, Supplier<EndpointPicker> picker,
                              ConnectionPreamble preamble) {

    public static final ListenerOptions DEFAULTS = new ListenerOptions(Duration.ofSeconds(5), Duration.ofHours(1),
            0, 3, false, false, Duration.ofSeconds(30), 65_536, RandomPicker::new, ConnectionPreamble.NONE);

    /** Without a preamble: the form that existed before {@code preamble}, kept for its callers. */
    public ListenerOptions(Duration connectTimeout, Duration idleTimeout, int maxConnections, int maxConnectAttempts,
                           boolean reusePort, boolean splice, Duration udpIdleTimeout, int udpMaxFlows,
                           Supplier<EndpointPicker> picker) {
        this(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice, udpIdleTimeout,
                udpMaxFlows, picker, ConnectionPreamble.NONE);
    }

    public ListenerOptions {
        Checks.positive(connectTimeout, "connectTimeout");
        Checks.positiveOrZero(idleTimeout, "idleTimeout");
        Checks.positiveOrZero(maxConnections, "maxConnections");
        Checks.inRange(maxConnectAttempts, 1, 16, "maxConnectAttempts");
        Checks.positive(udpIdleTimeout, "udpIdleTimeout");
        Checks.positive(udpMaxFlows, "udpMaxFlows");
        Checks.notNull(picker, "picker");
        Checks.notNull(preamble, "preamble");
    }

    public ListenerOptions withConnectTimeout(Duration v) {
        return new ListenerOptions(v, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withIdleTimeout(Duration v) {
        return new ListenerOptions(connectTimeout, v, maxConnections, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withMaxConnections(int v) {
        return new ListenerOptions(connectTimeout, idleTimeout, v, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withMaxConnectAttempts(int v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, v, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withReusePort(boolean v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, v, splice,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withSplice(boolean v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, v,
                udpIdleTimeout, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withUdpIdleTimeout(Duration v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice,
                v, udpMaxFlows, picker, preamble);
    }

    public ListenerOptions withUdpMaxFlows(int v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, v, picker, preamble);
    }

    public ListenerOptions withPicker(Supplier<EndpointPicker> v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, v, preamble);
    }

    public ListenerOptions withPreamble(ConnectionPreamble v) {
        return new ListenerOptions(connectTimeout, idleTimeout, maxConnections, maxConnectAttempts, reusePort, splice,
                udpIdleTimeout, udpMaxFlows, picker, v);
    }
}
