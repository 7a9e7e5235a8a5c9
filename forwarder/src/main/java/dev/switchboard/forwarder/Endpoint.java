package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;

/**
 * One backend of a listener: an address and port with the EndpointSlice conditions of Kubernetes'
 * discovery/v1.
 *
 * <p>{@code ready} endpoints take new connections. {@code terminating} endpoints take none, except
 * when no endpoint is ready: then those that are still {@code serving} are used (Kubernetes'
 * terminating-endpoint fallback). Identity for picking, affinity and retries is the address and
 * port ({@link #socketAddress()}, {@link #hasAddress}); the conditions are state.
 *
 * <p>A value class (equal when every field is equal). Compact, because a node agent holds ~100,000
 * of them at 10,000 services: an IPv4 address is kept as its 32 bits, not as the four objects of an
 * {@link InetSocketAddress} (112 bytes against 32 per endpoint, ~8 MB of the agent's live heap).
 * {@link #socketAddress()} builds the address when a connection needs one.
 */
public final class Endpoint {
  private static final byte READY = 1;
  private static final byte SERVING = 2;
  private static final byte TERMINATING = 4;

  /** The IPv4 address's bits; 0 for IPv6. */
  private final int ipv4;

  /** Null for IPv4. */
  private final InetAddress ipv6;

  private final int port;
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
        Checks.notNull(ip, "ip") instanceof Inet4Address v4 ? bits(v4) : 0,
        ip instanceof Inet4Address ? null : ip,
        Checks.inRange(port, 1, 65535, "port"),
        (byte) ((ready ? READY : 0) | (serving ? SERVING : 0) | (terminating ? TERMINATING : 0)),
        Checks.notNull(nodeName, "nodeName").orElse(null));
  }

  private Endpoint(int ipv4, InetAddress ipv6, int port, byte conditions, String nodeName) {
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
    this.port = port;
    this.conditions = conditions;
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
    return withConditions(false, serving(), true);
  }

  /** The same endpoint with other conditions. */
  public Endpoint withConditions(boolean ready, boolean serving, boolean terminating) {
    return new Endpoint(
        ipv4,
        ipv6,
        port,
        (byte) ((ready ? READY : 0) | (serving ? SERVING : 0) | (terminating ? TERMINATING : 0)),
        nodeName);
  }

  public Endpoint withNodeName(String node) {
    return new Endpoint(ipv4, ipv6, port, conditions, Checks.notNull(node, "node"));
  }

  /** The address; a new instance for IPv4 (see the class comment). */
  public InetAddress ip() {
    if (ipv6 != null) {
      return ipv6;
    }
    byte[] b = {(byte) (ipv4 >>> 24), (byte) (ipv4 >>> 16), (byte) (ipv4 >>> 8), (byte) ipv4};
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are an IPv4 address", e);
    }
  }

  public int port() {
    return port;
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

  /**
   * The address to connect to; also the endpoint's identity. A new instance per call, equal for
   * equal addresses: keep it where it is used often.
   */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(ip(), port);
  }

  /** True when {@code address} is this endpoint's address and port; builds no address objects. */
  public boolean hasAddress(InetSocketAddress address) {
    if (address.getPort() != port) {
      return false;
    }
    InetAddress ip = address.getAddress();
    return ip instanceof Inet4Address v4 ? ipv6 == null && bits(v4) == ipv4 : ip.equals(ipv6);
  }

  /** True when both endpoints have the same address and port, whatever their conditions. */
  public boolean sameAddress(Endpoint other) {
    return ipv4 == other.ipv4 && port == other.port && Objects.equals(ipv6, other.ipv6);
  }

  private static int bits(Inet4Address ip) {
    byte[] b = ip.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Endpoint e
        && sameAddress(e)
        && conditions == e.conditions
        && Objects.equals(nodeName, e.nodeName);
  }

  @Override
  public int hashCode() {
    int address = ipv6 == null ? ipv4 : ipv6.hashCode();
    return ((address * 31 + port) * 31 + conditions) * 31 + Objects.hashCode(nodeName);
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
