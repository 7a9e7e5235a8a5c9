package dev.switchboard.agent.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The node agent's cluster DNS.
 *
 * @param port UDP and TCP port on the node address; 0 turns DNS off (a port picked at random would
 *     be of no use to clients, which must be told where to ask)
 * @param zone the cluster domain ({@code cluster.local}), without the trailing dot
 * @param ttlSeconds the TTL of every answer, and of negative answers (the SOA minimum)
 * @param upstreams resolvers asked the names outside the zone, in order; empty: those are REFUSED
 * @param address where to listen; null: the node address. In Kubernetes, the cluster DNS address
 *     every pod is told (kubelet's {@code clusterDNS}): the service CIDR's first address, which the
 *     control plane never hands out, made local on every node by the route mode
 */
public record DnsConfig(
    int port, String zone, int ttlSeconds, List<InetSocketAddress> upstreams, InetAddress address) {
  // first: DISABLED below is validated against it
  private static final Pattern ZONE =
      Pattern.compile(
          "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$");

  /** Not 53: local mode runs without root. */
  public static final int DEFAULT_LOCAL_PORT = 10053;

  public static final String DEFAULT_ZONE = "cluster.local";

  /** As CoreDNS's kubernetes plugin. */
  public static final int DEFAULT_TTL_SECONDS = 5;

  public static final DnsConfig DISABLED = new DnsConfig(0, DEFAULT_ZONE, DEFAULT_TTL_SECONDS);

  public DnsConfig {
    Objects.requireNonNull(zone, "zone");
    upstreams = List.copyOf(upstreams);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535, 0 = off)");
    }
    if (!ZONE.matcher(zone).matches() || zone.length() > 253) {
      throw new IllegalArgumentException(
          "zone: \"" + zone + "\" (expected: a lower-case domain name such as cluster.local)");
    }
    if (ttlSeconds < 0 || ttlSeconds > 3600) {
      throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: 0-3600)");
    }
  }

  /** On the node address. */
  public DnsConfig(int port, String zone, int ttlSeconds, List<InetSocketAddress> upstreams) {
    this(port, zone, ttlSeconds, upstreams, null);
  }

  /** This config listening on {@code address} (null: the node address). */
  public DnsConfig withAddress(InetAddress address) {
    return new DnsConfig(port, zone, ttlSeconds, upstreams, address);
  }

  /** Without upstreams: names outside the zone are REFUSED. */
  public DnsConfig(int port, String zone, int ttlSeconds) {
    this(port, zone, ttlSeconds, List.of());
  }

  /** DNS on {@code port} with the default zone and TTL. */
  public static DnsConfig onPort(int port) {
    return new DnsConfig(port, DEFAULT_ZONE, DEFAULT_TTL_SECONDS);
  }

  public boolean enabled() {
    return port != 0;
  }
}
