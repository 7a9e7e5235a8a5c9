package dev.switchboard.forwarder;

/**
 * A snapshot of one listener's counters, for metrics. TCP counts connections; UDP counts client
 * flows. Each field is read on its own, so a snapshot taken under load is not a consistent cut.
 *
 * @param activeConnections open connections (TCP) or flows (UDP)
 * @param totalConnections TCP: accepted connections, including rejected ones; UDP: flows created
 * @param bytesIn bytes from clients towards endpoints
 * @param bytesOut bytes from endpoints towards clients
 * @param connectFailures failed connect attempts to endpoints (refused, timed out, unreachable)
 * @param connectRetries connect attempts after the first, to another endpoint
 * @param rejectedOverLimit TCP connections closed at once because the listener was at
 *     maxConnections
 * @param noEndpoint connections closed / datagrams dropped because no endpoint was usable
 * @param droppedDatagrams UDP datagrams dropped (flow table full, socket not writable, flow not
 *     ready)
 */
public record ListenerStats(
    long activeConnections,
    long totalConnections,
    long bytesIn,
    long bytesOut,
    long connectFailures,
    long connectRetries,
    long rejectedOverLimit,
    long noEndpoint,
    long droppedDatagrams) {}
