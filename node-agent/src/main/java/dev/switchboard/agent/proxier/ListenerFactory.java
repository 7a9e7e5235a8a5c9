package dev.switchboard.agent.proxier;

import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import java.util.concurrent.CompletableFuture;

/** Binds listeners: the forwarder's {@code addListener}, behind a seam for unit tests. */
@FunctionalInterface
public interface ListenerFactory {

  /**
   * Fails with {@link dev.switchboard.forwarder.ListenerBindException} when the socket cannot be
   * bound.
   */
  CompletableFuture<Listener> open(ListenerSpec spec, ServiceTarget target);
}
