package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.pick.EndpointPicker;
import dev.switchboard.forwarder.pick.RandomPicker;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Per-listener tuning. Start from {@link #DEFAULTS} and change fields with the {@code with...}
 * methods.
 *
 * @param connectTimeout TCP: how long one connect attempt to an endpoint may take
 * @param idleTimeout TCP: close a connection with no bytes in either direction for this long; 0 =
 *     never
 * @param maxConnections TCP: open connections above this are closed at once; 0 = unlimited
 * @param maxConnectAttempts TCP: distinct endpoints tried before the client is closed (1 = no
 *     retry)
 * @param reusePort bind with SO_REUSEPORT (several agents on one host share a ClusterIP listener);
 *     ignored by transports without it
 * @param splice TCP: move bytes with splice(2) when both sockets are epoll sockets; else copy (the
 *     default: splice needs two pipes, i.e. four more file descriptors and about ten more system
 *     calls per connection, which costs short connections far more than it saves on bulk ones; see
 *     docs/benchmarks.md)
 * @param udpIdleTimeout UDP: a client flow with no datagram in either direction for this long is
 *     dropped
 * @param udpMaxFlows UDP: datagrams that would open a flow beyond this many are dropped
 * @param picker makes the endpoint picker of the listener (wrapped for ClientIP affinity when
 *     asked); called once per listener, and again when affinity changes
 * @param preamble TCP: bytes sent to the endpoint before the client's (a PROXY protocol header);
 *     {@link ConnectionPreamble#NONE} for none
 * @param acceptProxyHeader TCP: a client may open with a PROXY protocol header (v1 or v2, as a load
 *     balancer in front sends it): it is read and removed, and the client it names is the one the
 *     endpoint is picked for (ClientIP affinity) and reported. A client without one is served as
 *     itself, so the port stays usable directly; the endpoint is picked once the first bytes show
 *     which (or, for a client that waits for the server to speak, after {@code connectTimeout}).
 */
public record ListenerOptions(
    Duration connectTimeout,
    Duration idleTimeout,
    int maxConnections,
    int maxConnectAttempts,
    boolean reusePort,
    boolean splice,
    Duration udpIdleTimeout,
    int udpMaxFlows,
    Supplier<EndpointPicker> picker,
    ConnectionPreamble preamble,
    boolean acceptProxyHeader) {

  public static final ListenerOptions DEFAULTS =
      new ListenerOptions(
          Duration.ofSeconds(5),
          Duration.ofHours(1),
          0,
          3,
          false,
          false,
          Duration.ofSeconds(30),
          65_536,
          RandomPicker::new,
          ConnectionPreamble.NONE,
          false);

  public ListenerOptions {
    Checks.positive(connectTimeout, "connectTimeout");
    Checks.positiveOrZero(idleTimeout, "idleTimeout");
    Checks.positiveOrZero(maxConnections, "maxConnections");
    Checks.inRange(maxConnectAttempts, 1, 16, "maxConnectAttempts");
    Checks.positive(udpIdleTimeout, "udpIdleTimeout");
    Checks.positive(udpMaxFlows, "udpMaxFlows");
    Checks.notNull(picker, "picker");
    Checks.notNull(preamble, "preamble");
  }

  public ListenerOptions withConnectTimeout(Duration v) {
    return edit(b -> b.connectTimeout = v);
  }

  public ListenerOptions withIdleTimeout(Duration v) {
    return edit(b -> b.idleTimeout = v);
  }

  public ListenerOptions withMaxConnections(int v) {
    return edit(b -> b.maxConnections = v);
  }

  public ListenerOptions withMaxConnectAttempts(int v) {
    return edit(b -> b.maxConnectAttempts = v);
  }

  public ListenerOptions withReusePort(boolean v) {
    return edit(b -> b.reusePort = v);
  }

  public ListenerOptions withSplice(boolean v) {
    return edit(b -> b.splice = v);
  }

  public ListenerOptions withUdpIdleTimeout(Duration v) {
    return edit(b -> b.udpIdleTimeout = v);
  }

  public ListenerOptions withUdpMaxFlows(int v) {
    return edit(b -> b.udpMaxFlows = v);
  }

  public ListenerOptions withPicker(Supplier<EndpointPicker> v) {
    return edit(b -> b.picker = v);
  }

  public ListenerOptions withPreamble(ConnectionPreamble v) {
    return edit(b -> b.preamble = v);
  }

  public ListenerOptions withAcceptProxyHeader(boolean v) {
    return edit(b -> b.acceptProxyHeader = v);
  }

  /** A copy with one field changed, checked by the canonical constructor. */
  private ListenerOptions edit(Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return new ListenerOptions(
        f.connectTimeout,
        f.idleTimeout,
        f.maxConnections,
        f.maxConnectAttempts,
        f.reusePort,
        f.splice,
        f.udpIdleTimeout,
        f.udpMaxFlows,
        f.picker,
        f.preamble,
        f.acceptProxyHeader);
  }

  /** The fields, mutable, for {@link #edit}. */
  private static final class Fields {
    Duration connectTimeout;
    Duration idleTimeout;
    int maxConnections;
    int maxConnectAttempts;
    boolean reusePort;
    boolean splice;
    Duration udpIdleTimeout;
    int udpMaxFlows;
    Supplier<EndpointPicker> picker;
    ConnectionPreamble preamble;
    boolean acceptProxyHeader;

    Fields(ListenerOptions o) {
      connectTimeout = o.connectTimeout;
      idleTimeout = o.idleTimeout;
      maxConnections = o.maxConnections;
      maxConnectAttempts = o.maxConnectAttempts;
      reusePort = o.reusePort;
      splice = o.splice;
      udpIdleTimeout = o.udpIdleTimeout;
      udpMaxFlows = o.udpMaxFlows;
      picker = o.picker;
      preamble = o.preamble;
      acceptProxyHeader = o.acceptProxyHeader;
    }
  }
}
