package dev.switchboard.forwarder;

import java.time.Duration;
import java.util.Optional;

/**
 * How a connection or flow went, given to {@link ConnectionObserver#onClose}.
 *
 * @param endpoint the endpoint it was (last) forwarded to; empty when none was usable
 * @param outcome why it ended
 * @param bytesFromClient bytes forwarded client → endpoint
 * @param bytesToClient bytes forwarded endpoint → client
 * @param connectAttempts endpoints tried (TCP; 1 for UDP, 0 when none was picked)
 * @param duration from accept to close
 */
public record ConnectionSummary(
    Optional<Endpoint> endpoint,
    Outcome outcome,
    long bytesFromClient,
    long bytesToClient,
    int connectAttempts,
    Duration duration) {}
