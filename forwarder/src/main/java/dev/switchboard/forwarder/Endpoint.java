package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One backend of a listener: an address and port with the EndpointSlice conditions of Kubernetes'
 * discovery/v1.
 *
 * <p>{@code ready} endpoints take new connections. {@code terminating} endpoints take none, except
 * when no endpoint is ready: then those that are still {@code serving} are used (Kubernetes'
 * terminating-endpoint fallback). Identity for picking, affinity and retries is {@link
 * #socketAddress()}; the conditions are state.
 *
 * <p>A value class (equal when every field is equal, like the record it was). It keeps its socket
 * address built once, not per call: a node agent holds ~100,000 endpoints and each was otherwise
 * turned into a fresh {@link InetSocketAddress} by every endpoint set and every connect.
 */
public final class Endpoint {
  private static final byte READY = 1;
  private static final byte SERVING = 2;
  private static final byte TERMINATING = 4;

  private final InetSocketAddress address;
  private final byte conditions;

  /** Null when unknown. */
  private final String nodeName;

  /**
   * @param ip resolved IP address (never a host name to resolve later)
   * @param port 1-65535
   * @param ready accepts new connections (in Kubernetes: serving and not terminating)
   * @param serving passes its readiness checks, whether terminating or not
   * @param terminating being shut down: keeps its open connections, gets no new ones
   * @param nodeName the node it runs on, if known (for externalTrafficPolicy Local)
   */
  public Endpoint(
      InetAddress ip,
      int port,
      boolean ready,
      boolean serving,
      boolean terminating,
      Optional<String> nodeName) {
    this(
        new InetSocketAddress(Checks.notNull(ip, "ip"), Checks.inRange(port, 1, 65535, "port")),
        ready,
        serving,
        terminating,
        Checks.notNull(nodeName, "nodeName").orElse(null));
  }

  private Endpoint(
      InetSocketAddress address,
      boolean ready,
      boolean serving,
      boolean terminating,
      String nodeName) {
    this.address = address;
    this.conditions =
        (byte) ((ready ? READY : 0) | (serving ? SERVING : 0) | (terminating ? TERMINATING : 0));
    this.nodeName = nodeName;
  }

  /** A ready, serving, not terminating endpoint with no node. */
  public static Endpoint ready(InetSocketAddress address) {
    Checks.notNull(address, "address");
    if (address.isUnresolved()) {
      throw new IllegalArgumentException(
          "address: " + address + " (expected: a resolved IP address)");
    }
    return new Endpoint(
        address.getAddress(), address.getPort(), true, true, false, Optional.empty());
  }

  /** The same endpoint, draining: serving but terminating, so not ready. */
  public Endpoint asTerminating() {
    return new Endpoint(address, false, serving(), true, nodeName);
  }

  /** The same endpoint with other conditions. */
  public Endpoint withConditions(boolean ready, boolean serving, boolean terminating) {
    return new Endpoint(address, ready, serving, terminating, nodeName);
  }

  public Endpoint withNodeName(String node) {
    return new Endpoint(address, ready(), serving(), terminating(), Checks.notNull(node, "node"));
  }

  public InetAddress ip() {
    return address.getAddress();
  }

  public int port() {
    return address.getPort();
  }

  public boolean ready() {
    return (conditions & READY) != 0;
  }

  public boolean serving() {
    return (conditions & SERVING) != 0;
  }

  public boolean terminating() {
    return (conditions & TERMINATING) != 0;
  }

  public Optional<String> nodeName() {
    return Optional.ofNullable(nodeName);
  }

  /** The address to connect to; also the endpoint's identity. Always the same instance. */
  public InetSocketAddress socketAddress() {
    return address;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoint e
        && address.equals(e.address)
        && conditions == e.conditions
        && Objects.equals(nodeName, e.nodeName);
  }

  @Override
  public int hashCode() {
    return (address.hashCode() * 31 + conditions) * 31 + Objects.hashCode(nodeName);
  }

  @Override
  public String toString() {
    return ip().getHostAddress()
        + ":"
        + port()
        + (ready() ? "" : " !ready")
        + (serving() ? "" : " !serving")
        + (terminating() ? " terminating" : "")
        + (nodeName == null ? "" : " @" + nodeName);
  }
}
