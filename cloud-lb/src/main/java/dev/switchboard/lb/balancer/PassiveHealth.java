package dev.switchboard.lb.balancer;

import java.net.InetSocketAddress;

/** Where a picker reports endpoints that failed a forwarded connect (passive health checking). */
@FunctionalInterface
public interface PassiveHealth {

  PassiveHealth IGNORE = (node, endpoint) -> {};

  /** Called on an event loop: must be quick and must not block. */
  void connectFailed(String node, InetSocketAddress endpoint);
}
