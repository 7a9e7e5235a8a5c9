package dev.switchboard.controlplane.alloc;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The etcd key of each allocation, relative to the store's configurable prefix: {@code
 * alloc/clusterip/{ip}}, {@code alloc/nodeport/{tcp|udp}/{port}}, {@code alloc/lbip/{ip}}. The
 * store puts the owner ({@code namespace/name}, uid) in the value.
 */
public final class AllocationKeys {
  /** Every allocation key starts with this. */
  public static final String PREFIX = "alloc/";

  public static final String CLUSTER_IP = PREFIX + "clusterip/";
  public static final String NODE_PORT = PREFIX + "nodeport/";
  public static final String LB_IP = PREFIX + "lbip/";

  private AllocationKeys() {}

  public static String clusterIp(String ip) {
    return new Allocation.ClusterIp(ip).key();
  }

  public static String nodePort(Protocol protocol, int port) {
    return new Allocation.NodePort(protocol, port).key();
  }

  public static String lbIp(String ip) {
    return new Allocation.LbIp(ip).key();
  }

  /**
   * The allocation a key names, or empty when it is not a well-formed allocation key (another
   * object's key, a malformed address or port, an unknown protocol).
   */
  public static Optional<Allocation> parse(String key) {
    if (key == null) {
      return Optional.empty();
    }
    if (key.startsWith(CLUSTER_IP)) {
      return ip(key.substring(CLUSTER_IP.length())).map(Allocation.ClusterIp::new);
    }
    if (key.startsWith(LB_IP)) {
      return ip(key.substring(LB_IP.length())).map(Allocation.LbIp::new);
    }
    if (key.startsWith(NODE_PORT)) {
      String rest = key.substring(NODE_PORT.length());
      int slash = rest.indexOf('/');
      if (slash < 0) {
        return Optional.empty();
      }
      Optional<Protocol> protocol = Protocol.fromKeySegment(rest.substring(0, slash));
      int port = port(rest.substring(slash + 1));
      if (protocol.isEmpty() || port < 0) {
        return Optional.empty();
      }
      return Optional.of(new Allocation.NodePort(protocol.get(), port));
    }
    return Optional.empty();
  }

  private static Optional<String> ip(String text) {
    OptionalLong parsed = Ipv4.parse(text);
    return parsed.isPresent() ? Optional.of(text) : Optional.empty();
  }

  private static int port(String text) {
    if (text.isEmpty() || text.length() > 5 || text.charAt(0) == '0') {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return -1;
      }
    }
    int port = Integer.parseInt(text);
    return port <= 65535 ? port : -1;
  }
}
