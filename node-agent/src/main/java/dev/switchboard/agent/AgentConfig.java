package dev.switchboard.agent;

import dev.switchboard.agent.dns.DnsConfig;
import dev.switchboard.discovery.client.Backoff;
import dev.switchboard.discovery.client.ExponentialBackoff;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a node agent needs to run.
 *
 * @param nodeName this node's name, as pods' nodeName and endpoints' nodeName spell it
 * @param nodeAddress where NodePorts, health check ports and the admin port are bound
 * @param controlPlane gRPC target of the control plane, {@code host:port}
 * @param clusterIpMode how ClusterIPs are made local
 * @param serviceCidr the service CIDR (route mode adds a local route for it)
 * @param adminPort /healthz and /readyz, on the node address; 0 picks a free port
 * @param labels the node's labels, sent in the hello
 * @param minSyncInterval syncs start at least this far apart; changes in between are merged
 * @param resyncInterval a sync also runs this long after the last one, retrying what failed
 * @param backoff reconnection delays
 * @param ioThreads the forwarder's event loop threads
 * @param proxyMode userspace forwarder only, or nftables rules for what the kernel can serve
 * @param dns cluster DNS on the node address ({@link DnsConfig#DISABLED}: off)
 */
public record AgentConfig(
    String nodeName,
    InetAddress nodeAddress,
    String controlPlane,
    ClusterIpMode clusterIpMode,
    String serviceCidr,
    int adminPort,
    Map<String, String> labels,
    Duration minSyncInterval,
    Duration resyncInterval,
    Backoff backoff,
    int ioThreads,
    ProxyMode proxyMode,
    DnsConfig dns) {

  /** Kubernetes' kube-proxy health port. */
  public static final int DEFAULT_ADMIN_PORT = 10256;

  public static final String LOCAL_SERVICE_CIDR = "127.96.0.0/16";
  public static final String CLUSTER_SERVICE_CIDR = "10.96.0.0/12";

  public AgentConfig {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(nodeAddress, "nodeAddress");
    Objects.requireNonNull(controlPlane, "controlPlane");
    Objects.requireNonNull(clusterIpMode, "clusterIpMode");
    Objects.requireNonNull(serviceCidr, "serviceCidr");
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(proxyMode, "proxyMode");
    Objects.requireNonNull(dns, "dns");
    labels = Map.copyOf(labels);
    if (nodeName.isBlank()) {
      throw new IllegalArgumentException("nodeName: \"" + nodeName + "\" (expected: a node name)");
    }
    if (adminPort < 0 || adminPort > 65535) {
      throw new IllegalArgumentException("adminPort: " + adminPort + " (expected: 0-65535)");
    }
    if (minSyncInterval.isNegative()) {
      throw new IllegalArgumentException(
          "minSyncInterval: " + minSyncInterval + " (expected: >= 0)");
    }
    if (resyncInterval.compareTo(minSyncInterval) < 0 || resyncInterval.isZero()) {
      throw new IllegalArgumentException(
          "resyncInterval: "
              + resyncInterval
              + " (expected: > 0 and >= minSyncInterval "
              + minSyncInterval
              + ")");
    }
    if (ioThreads < 1) {
      throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
    }
  }

  /**
   * The cap of the reconnect backoff. Short on purpose: a refused connect per second per agent is
   * cheap, the control plane absorbs a reconnect storm (resumes share one read per version), and a
   * longer cap made the first change after a control-plane restart wait for the agent's next
   * attempt (docs/reliability.md).
   */
  public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(1);

  /** Local-mode defaults: local ClusterIPs in 127.96.0.0/16, admin port 10256, no DNS. */
  public static AgentConfig local(String nodeName, InetAddress nodeAddress, String controlPlane) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        ClusterIpMode.LOCAL,
        LOCAL_SERVICE_CIDR,
        DEFAULT_ADMIN_PORT,
        Map.of(),
        Duration.ofMillis(100),
        Duration.ofSeconds(30),
        ExponentialBackoff.standard(DEFAULT_RECONNECT_MAX),
        Math.max(1, Runtime.getRuntime().availableProcessors()),
        ProxyMode.USERSPACE,
        DnsConfig.DISABLED);
  }

  public AgentConfig withAdminPort(int port) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        port,
        labels,
        minSyncInterval,
        resyncInterval,
        backoff,
        ioThreads,
        proxyMode,
        dns);
  }

  public AgentConfig withClusterIps(ClusterIpMode mode, String cidr) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        mode,
        cidr,
        adminPort,
        labels,
        minSyncInterval,
        resyncInterval,
        backoff,
        ioThreads,
        proxyMode,
        dns);
  }

  public AgentConfig withLabels(Map<String, String> newLabels) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        newLabels,
        minSyncInterval,
        resyncInterval,
        backoff,
        ioThreads,
        proxyMode,
        dns);
  }

  public AgentConfig withSyncIntervals(Duration min, Duration resync) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        labels,
        min,
        resync,
        backoff,
        ioThreads,
        proxyMode,
        dns);
  }

  public AgentConfig withBackoff(Backoff newBackoff) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        labels,
        minSyncInterval,
        resyncInterval,
        newBackoff,
        ioThreads,
        proxyMode,
        dns);
  }

  public AgentConfig withIoThreads(int threads) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        labels,
        minSyncInterval,
        resyncInterval,
        backoff,
        threads,
        proxyMode,
        dns);
  }

  public AgentConfig withProxyMode(ProxyMode mode) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        labels,
        minSyncInterval,
        resyncInterval,
        backoff,
        ioThreads,
        mode,
        dns);
  }

  public AgentConfig withDns(DnsConfig newDns) {
    return new AgentConfig(
        nodeName,
        nodeAddress,
        controlPlane,
        clusterIpMode,
        serviceCidr,
        adminPort,
        labels,
        minSyncInterval,
        resyncInterval,
        backoff,
        ioThreads,
        proxyMode,
        newDns);
  }
}
