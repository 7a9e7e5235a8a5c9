package dev.switchboard.forwarder.h2;

import dev.switchboard.checks.Checks;
import java.time.Duration;

/**
 * What makes a TCP listener an HTTP/2 listener (see {@link
 * dev.switchboard.forwarder.ListenerSpec#h2()}).
 *
 * @param observer told of every call (stream); may set request headers
 * @param maxConnectionsPerEndpoint HTTP/2 connections to one endpoint, per event loop: a second one
 *     is opened only when the first has as many streams as the endpoint allows (its
 *     SETTINGS_MAX_CONCURRENT_STREAMS, capped by {@code maxStreamsPerConnection}); when all are
 *     full a new call is refused with REFUSED_STREAM (clients retry those transparently)
 * @param maxStreamsPerConnection streams we open on one endpoint connection at most, whatever the
 *     endpoint allows; also what we allow a client (our SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param streamWindowBytes the flow-control window of each stream, both sides: what a peer may send
 *     before we relay; the relay returns window only for bytes written to the other side, so this
 *     bounds what one stream holds here per direction
 * @param connectionWindowBytes the connection-level window, both sides
 * @param poolIdleTimeout an endpoint connection without streams for this long is closed
 */
public record H2Options(
    H2CallObserver observer,
    int maxConnectionsPerEndpoint,
    int maxStreamsPerConnection,
    int streamWindowBytes,
    int connectionWindowBytes,
    Duration poolIdleTimeout) {

  public static final int DEFAULT_STREAM_WINDOW = 256 * 1024;
  public static final int DEFAULT_CONNECTION_WINDOW = 1024 * 1024;

  public H2Options {
    Checks.notNull(observer, "observer");
    Checks.inRange(maxConnectionsPerEndpoint, 1, 1024, "maxConnectionsPerEndpoint");
    Checks.inRange(maxStreamsPerConnection, 1, 100_000, "maxStreamsPerConnection");
    Checks.inRange(streamWindowBytes, 65_535, 16 << 20, "streamWindowBytes");
    Checks.inRange(connectionWindowBytes, 65_535, 64 << 20, "connectionWindowBytes");
    Checks.positive(poolIdleTimeout, "poolIdleTimeout");
  }

  public static H2Options of(H2CallObserver observer) {
    return new H2Options(
        observer,
        8,
        1000,
        DEFAULT_STREAM_WINDOW,
        DEFAULT_CONNECTION_WINDOW,
        Duration.ofSeconds(60));
  }

  public H2Options withMaxStreamsPerConnection(int v) {
    return new H2Options(
        observer,
        maxConnectionsPerEndpoint,
        v,
        streamWindowBytes,
        connectionWindowBytes,
        poolIdleTimeout);
  }

  public H2Options withWindows(int stream, int connection) {
    return new H2Options(
        observer,
        maxConnectionsPerEndpoint,
        maxStreamsPerConnection,
        stream,
        connection,
        poolIdleTimeout);
  }
}
