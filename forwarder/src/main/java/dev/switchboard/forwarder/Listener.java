package dev.switchboard.forwarder;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A bound listening socket that forwards to a {@link ServiceTarget}. Obtained from {@link
 * Forwarder#addListener}. All methods are thread-safe and never block.
 */
public interface Listener {

  ListenerSpec spec();

  /** The address actually bound (differs from the spec's when it asked for port 0). */
  InetSocketAddress localAddress();

  /**
   * Replaces the endpoint set and affinity. New connections (UDP: new flows) use the new set; open
   * TCP connections keep their endpoint, whatever the update says. UDP flows whose endpoint left
   * the set or stopped serving are dropped, so their next datagram picks again. Completes once
   * applied.
   */
  CompletableFuture<Void> update(ServiceTarget target);

  /** The target last applied. */
  ServiceTarget target();

  ListenerStats stats();

  /**
   * Closes the listening socket; completes when it is closed. Open TCP connections are left to
   * finish (see {@link #terminated()}); UDP flows end with the socket, which carries their replies.
   * Idempotent.
   */
  CompletableFuture<Void> close();

  /** Completes when the listener is closed and its last connection has ended. */
  CompletableFuture<Void> terminated();
}
