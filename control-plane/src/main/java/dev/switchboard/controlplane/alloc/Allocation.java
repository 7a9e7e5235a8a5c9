package dev.switchboard.controlplane.alloc;

/**
 * One thing a service holds exclusively, stored in etcd as one key naming its owner, so that {@code
 * createRevision == 0} on that key makes taking it race-free across replicas.
 */
public sealed interface Allocation extends Comparable<Allocation>
    permits Allocation.ClusterIp, Allocation.NodePort, Allocation.LbIp {

  /** The key, relative to the store's prefix: see {@link AllocationKeys}. */
  String key();

  /** Orders by key, so that transactions list their compares in a stable order. */
  @Override
  default int compareTo(Allocation other) {
    return key().compareTo(other.key());
  }

  /** A ClusterIP, e.g. 10.96.0.10. */
  record ClusterIp(String ip) implements Allocation {
    public ClusterIp {
      Ipv4.parseOrThrow(ip, "ip");
    }

    @Override
    public String key() {
      return AllocationKeys.CLUSTER_IP + ip;
    }
  }

  /** A node port for one protocol (healthCheckNodePort is a TCP node port too). */
  record NodePort(Protocol protocol, int port) implements Allocation {
    public NodePort {
      if (protocol == null) {
        throw new IllegalArgumentException("protocol: null (expected: TCP or UDP)");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
      }
    }

    @Override
    public String key() {
      return AllocationKeys.NODE_PORT + protocol.keySegment() + "/" + port;
    }
  }

  /** An external IP from the LoadBalancer pools. */
  record LbIp(String ip) implements Allocation {
    public LbIp {
      Ipv4.parseOrThrow(ip, "ip");
    }

    @Override
    public String key() {
      return AllocationKeys.LB_IP + ip;
    }
  }
}
