package dev.switchboard.forwarder;

import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * Identity of one forwarded TCP connection or UDP flow, as given to a {@link ConnectionObserver}.
 *
 * @param id unique within the forwarder
 * @param listener the listener's {@link ListenerSpec#name()}
 * @param protocol TCP or UDP
 * @param client the client's address (UDP: the flow's source)
 * @param listenerAddress the address the client reached
 * @param openedAt when it was accepted
 */
public record ConnectionInfo(
    long id,
    String listener,
    Protocol protocol,
    InetSocketAddress client,
    InetSocketAddress listenerAddress,
    Instant openedAt) {}
