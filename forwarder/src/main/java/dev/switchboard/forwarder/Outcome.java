package dev.switchboard.forwarder;

/** How a forwarded connection or UDP flow ended. */
public enum Outcome {
  /** Both directions were closed by their senders (FIN both ways) and everything was delivered. */
  COMPLETED,
  /** No bytes either way for the idle timeout (TCP) or flow idle timeout (UDP). */
  IDLE_TIMEOUT,
  /** No usable endpoint when it arrived: closed at once (TCP) or dropped (UDP). */
  NO_ENDPOINT,
  /** Every connect attempt failed (refused, timed out, unreachable). */
  CONNECT_FAILED,
  /** The listener was at its connection limit. */
  REJECTED,
  /** Reset or I/O error on either side. */
  ERROR,
  /** The listener or the forwarder was shut down, or the flow's endpoint left the set. */
  CLOSED
}
