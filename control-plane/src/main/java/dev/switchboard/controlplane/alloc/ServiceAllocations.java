package dev.switchboard.controlplane.alloc;

import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a stored service holds: its ClusterIP, its node ports per protocol, its healthCheckNodePort
 * (a TCP node port) and its LoadBalancer IP.
 *
 * <p>Only what the service's type uses counts: a ClusterIP service's leftover nodePort or
 * loadBalancerIP values hold nothing, so changing LoadBalancer → ClusterIP frees them even if a
 * client echoes them back.
 *
 * @param clusterIp empty for headless services ("None") and when not yet allocated
 * @param nodePorts the ports' (protocol, nodePort) pairs, for NodePort and LoadBalancer services
 * @param healthCheckNodePort for LoadBalancer services with externalTrafficPolicy Local
 * @param lbIp spec.loadBalancerIP of a LoadBalancer service
 */
public record ServiceAllocations(
    Optional<String> clusterIp,
    Set<Allocation.NodePort> nodePorts,
    OptionalInt healthCheckNodePort,
    Optional<String> lbIp) {

  /** Holds nothing: what a service that does not exist (yet, or any more) holds. */
  public static final ServiceAllocations NONE =
      new ServiceAllocations(Optional.empty(), Set.of(), OptionalInt.empty(), Optional.empty());

  public ServiceAllocations {
    nodePorts = Collections.unmodifiableSortedSet(new TreeSet<>(nodePorts));
  }

  /**
   * The allocations of {@code service}; {@link #NONE} for null. Values are not range-checked here.
   */
  public static ServiceAllocations of(Service service) {
    if (service == null) {
      return NONE;
    }
    ServiceSpec spec = service.getSpec();
    String type = spec.getType().isEmpty() ? "ClusterIP" : spec.getType();
    boolean nodePortType = type.equals("NodePort") || type.equals("LoadBalancer");
    boolean loadBalancer = type.equals("LoadBalancer");

    String ip = spec.getClusterIp();
    Optional<String> clusterIp =
        ip.isEmpty() || ip.equals("None") ? Optional.empty() : Optional.of(ip);

    Set<Allocation.NodePort> nodePorts = new TreeSet<>();
    if (nodePortType) {
      for (ServicePort port : spec.getPortsList()) {
        Optional<Protocol> protocol =
            Protocol.fromApiName(port.getProtocol().isEmpty() ? "TCP" : port.getProtocol());
        if (port.getNodePort() != 0 && protocol.isPresent()) {
          nodePorts.add(new Allocation.NodePort(protocol.get(), port.getNodePort()));
        }
      }
    }
    OptionalInt healthCheck =
        loadBalancer
                && spec.getExternalTrafficPolicy().equals("Local")
                && spec.getHealthCheckNodePort() != 0
            ? OptionalInt.of(spec.getHealthCheckNodePort())
            : OptionalInt.empty();
    Optional<String> lbIp =
        loadBalancer && !spec.getLoadBalancerIp().isEmpty()
            ? Optional.of(spec.getLoadBalancerIp())
            : Optional.empty();
    return new ServiceAllocations(clusterIp, nodePorts, healthCheck, lbIp);
  }

  /** Every allocation as an {@link Allocation}, ordered by key; the health check port as TCP. */
  public SortedSet<Allocation> all() {
    SortedSet<Allocation> all = new TreeSet<>();
    clusterIp.ifPresent(ip -> all.add(new Allocation.ClusterIp(ip)));
    all.addAll(nodePorts);
    healthCheckNodePort.ifPresent(p -> all.add(new Allocation.NodePort(Protocol.TCP, p)));
    lbIp.ifPresent(ip -> all.add(new Allocation.LbIp(ip)));
    return Collections.unmodifiableSortedSet(all);
  }

  /** What going from {@code before} to {@code after} takes and frees. */
  public static AllocationDiff diff(ServiceAllocations before, ServiceAllocations after) {
    SortedSet<Allocation> toTake = new TreeSet<>(after.all());
    toTake.removeAll(before.all());
    SortedSet<Allocation> toFree = new TreeSet<>(before.all());
    toFree.removeAll(after.all());
    return new AllocationDiff(toTake, toFree);
  }

  /**
   * What replacing {@code before} by {@code after} takes and frees; pass null as {@code before} for
   * a create and as {@code after} for a delete.
   */
  public static AllocationDiff diff(Service before, Service after) {
    return diff(of(before), of(after));
  }
}
