package dev.switchboard.controlplane.registry;

import dev.switchboard.controlplane.alloc.AllocationKeys;
import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.controlplane.alloc.Protocol;
import dev.switchboard.controlplane.alloc.ServiceAllocations;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.ServiceStatus;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Decides what a service holds: keeps what it held (clusterIP, nodePorts, health check port,
 * external IP) where the request leaves a value empty, picks free values for the rest, and names
 * the allocation keys each value occupies. Pure: the registry commits the result in one etcd
 * transaction whose {@code createRevision == 0} compares make the picks unique.
 */
final class ServiceAllocator {
  private final ClusterIpRange clusterIps;
  private final PortRange nodePorts;
  private final LbIpPools lbPools;
  private final Random random;

  ServiceAllocator(
      ClusterIpRange clusterIps, PortRange nodePorts, LbIpPools lbPools, Random random) {
    this.clusterIps = clusterIps;
    this.nodePorts = nodePorts;
    this.lbPools = lbPools;
    this.random = random;
  }

  /** A service with every allocated value filled, and the keys it occupies. */
  record Plan(Service service, Set<String> keys, Map<String, RequestedValue> requested) {}

  /** A value the user asked for: if its key is taken, that is the user's error, not a retry. */
  record RequestedValue(String field, String value, boolean ip) {}

  /**
   * @param old the stored service (null on create)
   * @param used whether an allocation key is taken (by anyone, as far as this replica knows)
   */
  Plan plan(Service requested, Service old, Predicate<String> used) {
    ServiceSpec.Builder spec = requested.getSpec().toBuilder();
    Map<String, RequestedValue> asked = new LinkedHashMap<>();
    Set<String> claimed = new HashSet<>();
    Predicate<String> taken = key -> claimed.contains(key) || used.test(key);
    Set<String> oldKeys = old == null ? Set.of() : keysOf(old);
    // A key the old version holds is ours to keep, whatever the cache says.
    Predicate<String> unavailable = key -> !oldKeys.contains(key) && taken.test(key);

    String type = spec.getType();
    boolean needsNodePorts = type.equals("NodePort") || type.equals("LoadBalancer");
    boolean isLb = type.equals("LoadBalancer");

    // clusterIP
    if (spec.getClusterIp().isEmpty() && old != null && !old.getSpec().getClusterIp().isEmpty()) {
      spec.setClusterIp(old.getSpec().getClusterIp());
    } else if (spec.getClusterIp().isEmpty()) {
      String ip =
          clusterIps
              .pick(ipCandidate -> unavailable.test(AllocationKeys.clusterIp(ipCandidate)), random)
              .orElseThrow(
                  () ->
                      new ApiException(
                          ApiException.Reason.EXHAUSTED,
                          "spec.clusterIP: failed to allocate a cluster IP: range "
                              + clusterIps.cidr()
                              + " is full"));
      spec.setClusterIp(ip);
    } else if (!spec.getClusterIp().equals("None")
        && (old == null || !spec.getClusterIp().equals(old.getSpec().getClusterIp()))) {
      asked.put(
          AllocationKeys.clusterIp(spec.getClusterIp()),
          new RequestedValue("spec.clusterIP", spec.getClusterIp(), true));
    }
    if (!spec.getClusterIp().equals("None")) {
      claimed.add(AllocationKeys.clusterIp(spec.getClusterIp()));
    }

    // nodePorts
    boolean oldHadNodePorts =
        old != null
            && (old.getSpec().getType().equals("NodePort")
                || old.getSpec().getType().equals("LoadBalancer"));
    for (int i = 0; i < spec.getPortsCount(); i++) {
      ServicePort.Builder port = spec.getPortsBuilder(i);
      if (!needsNodePorts) {
        port.setNodePort(0);
        continue;
      }
      String protocol = port.getProtocol();
      if (port.getNodePort() == 0 && oldHadNodePorts) {
        OptionalInt reused = previousNodePort(old, port.build());
        if (reused.isPresent()) {
          port.setNodePort(reused.getAsInt());
        }
      }
      if (port.getNodePort() == 0) {
        int picked =
            nodePorts
                .pick(p -> unavailable.test(nodePortKey(protocol, p)), random)
                .orElseThrow(() -> exhaustedPorts("spec.ports[" + port.getName() + "].nodePort"));
        port.setNodePort(picked);
      } else if (!oldKeys.contains(nodePortKey(protocol, port.getNodePort()))) {
        asked.put(
            nodePortKey(protocol, port.getNodePort()),
            new RequestedValue(
                "spec.ports[" + i + "].nodePort", Integer.toString(port.getNodePort()), false));
      }
      claimed.add(nodePortKey(protocol, port.getNodePort()));
    }

    // healthCheckNodePort: LoadBalancer with externalTrafficPolicy Local only.
    if (isLb && spec.getExternalTrafficPolicy().equals("Local")) {
      if (spec.getHealthCheckNodePort() == 0
          && old != null
          && old.getSpec().getHealthCheckNodePort() != 0) {
        spec.setHealthCheckNodePort(old.getSpec().getHealthCheckNodePort());
      }
      if (spec.getHealthCheckNodePort() == 0) {
        spec.setHealthCheckNodePort(
            nodePorts
                .pick(p -> unavailable.test(nodePortKey("TCP", p)), random)
                .orElseThrow(() -> exhaustedPorts("spec.healthCheckNodePort")));
      } else if (!oldKeys.contains(nodePortKey("TCP", spec.getHealthCheckNodePort()))) {
        asked.put(
            nodePortKey("TCP", spec.getHealthCheckNodePort()),
            new RequestedValue(
                "spec.healthCheckNodePort",
                Integer.toString(spec.getHealthCheckNodePort()),
                false));
      }
      claimed.add(nodePortKey("TCP", spec.getHealthCheckNodePort()));
    } else {
      spec.setHealthCheckNodePort(0);
    }

    // loadBalancerIP
    ServiceStatus status = old == null ? ServiceStatus.getDefaultInstance() : old.getStatus();
    if (isLb) {
      if (spec.getLoadBalancerIp().isEmpty()
          && old != null
          && old.getSpec().getType().equals("LoadBalancer")) {
        spec.setLoadBalancerIp(old.getSpec().getLoadBalancerIp());
      }
      if (spec.getLoadBalancerIp().isEmpty()) {
        spec.setLoadBalancerIp(
            lbPools
                .pick(ip -> unavailable.test(AllocationKeys.lbIp(ip)), random)
                .orElseThrow(
                    () ->
                        new ApiException(
                            ApiException.Reason.EXHAUSTED,
                            "spec.loadBalancerIP: failed to allocate a load balancer IP: pools "
                                + lbPools
                                + " are full")));
      } else if (!oldKeys.contains(AllocationKeys.lbIp(spec.getLoadBalancerIp()))) {
        asked.put(
            AllocationKeys.lbIp(spec.getLoadBalancerIp()),
            new RequestedValue("spec.loadBalancerIP", spec.getLoadBalancerIp(), true));
      }
      if (old != null && !spec.getLoadBalancerIp().equals(old.getSpec().getLoadBalancerIp())) {
        status = ServiceStatus.getDefaultInstance(); // the old ingress no longer applies
      }
    } else {
      spec.setLoadBalancerIp("");
      status = ServiceStatus.getDefaultInstance(); // not a load balancer: no ingress
    }

    Service planned = requested.toBuilder().setSpec(spec).setStatus(status).build();
    return new Plan(planned, keysOf(planned), asked);
  }

  /** Every allocation key a stored service occupies. */
  static Set<String> keysOf(Service service) {
    Set<String> keys = new LinkedHashSet<>();
    ServiceAllocations.of(service).all().forEach(a -> keys.add(a.key()));
    return keys;
  }

  /** Kubernetes keeps a port's nodePort across updates, matching ports by name, then number. */
  private static OptionalInt previousNodePort(Service old, ServicePort port) {
    for (ServicePort candidate : old.getSpec().getPortsList()) {
      if (!port.getName().isEmpty()
          && candidate.getName().equals(port.getName())
          && candidate.getProtocol().equals(port.getProtocol())
          && candidate.getNodePort() != 0) {
        return OptionalInt.of(candidate.getNodePort());
      }
    }
    for (ServicePort candidate : old.getSpec().getPortsList()) {
      if (candidate.getPort() == port.getPort()
          && candidate.getProtocol().equals(port.getProtocol())
          && candidate.getNodePort() != 0) {
        return OptionalInt.of(candidate.getNodePort());
      }
    }
    return OptionalInt.empty();
  }

  private ApiException exhaustedPorts(String field) {
    return new ApiException(
        ApiException.Reason.EXHAUSTED,
        field + ": failed to allocate a node port: range " + nodePorts + " is full");
  }

  static String nodePortKey(String protocol, int port) {
    return AllocationKeys.nodePort(Protocol.fromApiName(protocol).orElse(Protocol.TCP), port);
  }
}
