package dev.switchboard.lb.nodes;

import dev.switchboard.checks.Checks;
import java.net.InetSocketAddress;

/**
 * One thing to health-check: a node's NodePort (TCP connect) or a node's healthCheckNodePort (HTTP
 * GET expecting 200, for externalTrafficPolicy Local). Services that share a target share its
 * checks.
 *
 * @param node the node's name
 * @param address the node's address and the port to check
 * @param kind how to check it
 */
public record CheckTarget(String node, InetSocketAddress address, Kind kind) {

  public enum Kind {
    /** Passes when a TCP connection is accepted. */
    TCP,
    /** Passes when {@code GET /healthz} answers 200 (kube-proxy's healthCheckNodePort contract). */
    HTTP
  }

  public CheckTarget {
    Checks.notNull(node, "node");
    Checks.notNull(address, "address");
    Checks.notNull(kind, "kind");
    if (address.isUnresolved()) {
      throw new IllegalArgumentException(
          "address: " + address + " (expected: a resolved IP address)");
    }
  }

  @Override
  public String toString() {
    return kind
        + " "
        + address.getAddress().getHostAddress()
        + ":"
        + address.getPort()
        + " ("
        + node
        + ")";
  }
}
