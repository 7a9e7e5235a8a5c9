package dev.switchboard.controlplane;

import java.time.Duration;
import java.util.List;

/**
 * What a control-plane replica needs to run. Replicas sharing an etcd and a key prefix must share
 * the ranges too: they allocate from them in the same transactions.
 *
 * @param listenHost address the gRPC port binds (Admin, Discovery, health, reflection)
 * @param listenPort 0 picks a free port (tests)
 * @param serviceCidr ClusterIPs come from here
 * @param nodePortRange e.g. {@code 30000-32767}
 * @param lbPools comma-separated CIDRs or first-last ranges; empty: no LoadBalancer IPs
 * @param nodeLeaseTtl how long a node stays ready after its replica stops renewing its lease
 * @param etcdTimeout how long one etcd call may take
 * @param etcdWait how long startup waits for etcd before giving up
 */
public record ControlPlaneConfig(
    List<String> etcdEndpoints,
    String keyPrefix,
    String listenHost,
    int listenPort,
    String serviceCidr,
    String nodePortRange,
    String lbPools,
    Duration nodeLeaseTtl,
    Duration etcdTimeout,
    Duration etcdWait) {

  /** Defaults of local mode, on the given etcd, on a free port. */
  public static ControlPlaneConfig local(String etcdEndpoint, String keyPrefix) {
    return new ControlPlaneConfig(
        List.of(etcdEndpoint),
        keyPrefix,
        "127.0.0.1",
        0,
        "127.96.0.0/16",
        "30000-32767",
        "127.0.2.0/24",
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30));
  }

  public ControlPlaneConfig withRanges(String serviceCidr, String nodePortRange, String lbPools) {
    return new ControlPlaneConfig(
        etcdEndpoints,
        keyPrefix,
        listenHost,
        listenPort,
        serviceCidr,
        nodePortRange,
        lbPools,
        nodeLeaseTtl,
        etcdTimeout,
        etcdWait);
  }

  public ControlPlaneConfig withNodeLeaseTtl(Duration ttl) {
    return new ControlPlaneConfig(
        etcdEndpoints,
        keyPrefix,
        listenHost,
        listenPort,
        serviceCidr,
        nodePortRange,
        lbPools,
        ttl,
        etcdTimeout,
        etcdWait);
  }

  public ControlPlaneConfig withListenPort(int port) {
    return new ControlPlaneConfig(
        etcdEndpoints,
        keyPrefix,
        listenHost,
        port,
        serviceCidr,
        nodePortRange,
        lbPools,
        nodeLeaseTtl,
        etcdTimeout,
        etcdWait);
  }
}
