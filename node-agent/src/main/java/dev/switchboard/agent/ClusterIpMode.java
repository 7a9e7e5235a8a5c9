package dev.switchboard.agent;

/** How ClusterIPs become bindable addresses on this host. */
public enum ClusterIpMode {
  /** The service CIDR is inside 127.0.0.0/8, local already: bind each ClusterIP directly. */
  LOCAL,
  /**
   * Make the service CIDR local once with {@code ip route add local <cidr> dev lo} (root or
   * NET_ADMIN).
   */
  ROUTE
}
