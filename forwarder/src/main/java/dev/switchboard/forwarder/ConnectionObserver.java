package dev.switchboard.forwarder;

/**
 * Hook for tracing and logging, so that they attach without the forwarder knowing them. Every
 * accepted TCP connection and every new UDP flow gets exactly one {@link #onOpen} and, later,
 * exactly one {@link #onClose} with the same {@link ConnectionInfo}.
 *
 * <p>Called on event loop threads: must be quick and must not block. Exceptions are logged and
 * ignored.
 */
public interface ConnectionObserver {

  ConnectionObserver NOOP = new ConnectionObserver() {};

  default void onOpen(ConnectionInfo connection) {}

  default void onClose(ConnectionInfo connection, ConnectionSummary summary) {}
}
