package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.h2.H2Options;
import dev.switchboard.forwarder.http.HttpOptions;
import java.net.InetSocketAddress;

/**
 * The fixed part of a listener: what socket to bind and how to treat its connections. Changing any
 * of it means removing the listener and adding a new one; the endpoints change through {@link
 * Listener#update(ServiceTarget)}.
 *
 * @param name for logs, errors and observers, e.g. {@code default/web:http}
 * @param protocol TCP or UDP
 * @param bindAddress resolved IP and port to bind (port 0 picks a free one: see {@link
 *     Listener#localAddress()})
 * @param options timeouts, limits, splice, SO_REUSEPORT, picker
 * @param http TCP only: forward as HTTP/1.1 with a per-request hook (see {@code forwarder.http});
 *     null for plain L4 forwarding. A field of the spec, not of {@link ListenerOptions}, because it
 *     changes what the listener is (parsing, no splice), not how it is tuned.
 * @param h2 TCP only: forward as HTTP/2 (h2c, gRPC), each stream to its own pick (see {@code
 *     forwarder.h2}); null otherwise. At most one of {@code http} and {@code h2}.
 */
public record ListenerSpec(
    String name,
    Protocol protocol,
    InetSocketAddress bindAddress,
    ListenerOptions options,
    HttpOptions http,
    H2Options h2) {

  /** An L4 listener. */
  public ListenerSpec(
      String name, Protocol protocol, InetSocketAddress bindAddress, ListenerOptions options) {
    this(name, protocol, bindAddress, options, null, null);
  }

  /** An L4 listener, or an HTTP/1.1 one when {@code http} is set. */
  public ListenerSpec(
      String name,
      Protocol protocol,
      InetSocketAddress bindAddress,
      ListenerOptions options,
      HttpOptions http) {
    this(name, protocol, bindAddress, options, http, null);
  }

  public ListenerSpec {
    Checks.notNull(name, "name");
    Checks.notNull(protocol, "protocol");
    Checks.notNull(bindAddress, "bindAddress");
    if (bindAddress.isUnresolved()) {
      throw new IllegalArgumentException(
          "bindAddress: " + bindAddress + " (expected: a resolved IP address)");
    }
    Checks.notNull(options, "options");
    if (http != null && protocol != Protocol.TCP) {
      throw new IllegalArgumentException(
          "http: set for a " + protocol + " listener (expected: TCP only)");
    }
    if (h2 != null && protocol != Protocol.TCP) {
      throw new IllegalArgumentException(
          "h2: set for a " + protocol + " listener (expected: TCP only)");
    }
    if (h2 != null && http != null) {
      throw new IllegalArgumentException("http and h2: both set (expected: one mode)");
    }
  }

  public static ListenerSpec tcp(String name, InetSocketAddress bindAddress) {
    return new ListenerSpec(name, Protocol.TCP, bindAddress, ListenerOptions.DEFAULTS);
  }

  public static ListenerSpec udp(String name, InetSocketAddress bindAddress) {
    return new ListenerSpec(name, Protocol.UDP, bindAddress, ListenerOptions.DEFAULTS);
  }

  /** The same listener in HTTP/1.1 mode ({@code null}: plain TCP). */
  public ListenerSpec withHttp(HttpOptions newHttp) {
    return new ListenerSpec(name, protocol, bindAddress, options, newHttp, h2);
  }

  /** The same listener in HTTP/2 mode ({@code null}: not HTTP/2). */
  public ListenerSpec withH2(H2Options newH2) {
    return new ListenerSpec(name, protocol, bindAddress, options, http, newH2);
  }

  /** "TCP 127.0.1.1:30080 (default/web:http)", the form used in errors and logs. */
  public String describe() {
    return protocol
        + " "
        + bindAddress.getAddress().getHostAddress()
        + ":"
        + bindAddress.getPort()
        + " ("
        + name
        + ")";
  }
}
