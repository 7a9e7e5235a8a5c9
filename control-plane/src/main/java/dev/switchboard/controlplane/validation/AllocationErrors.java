package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.Allocation;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceSpec;

/**
 * Kubernetes' words for allocation failures the store discovers in its transaction, so the Admin
 * API can refuse them with the field that asked for the taken value.
 */
public final class AllocationErrors {
  /** Kubernetes' message when no ClusterIP is left (RESOURCE_EXHAUSTED). */
  public static final String CLUSTER_IP_RANGE_FULL =
      "failed to allocate a serviceIP: range is full";

  /** Kubernetes' message when no NodePort is left (RESOURCE_EXHAUSTED). */
  public static final String NODE_PORT_RANGE_FULL = "failed to allocate a nodePort: range is full";

  /** The same for the LoadBalancer pools. */
  public static final String LB_IP_POOLS_FULL =
      "failed to allocate a loadBalancerIP: pools are full";

  private AllocationErrors() {}

  /**
   * "provided IP/port is already allocated" on the field of {@code service} that requested {@code
   * taken}: spec.clusterIP, spec.loadBalancerIP, the spec.ports[i].nodePort holding that (protocol,
   * port), or spec.healthCheckNodePort.
   */
  public static FieldError alreadyAllocated(Service service, Allocation taken) {
    ServiceSpec spec = service.getSpec();
    if (taken instanceof Allocation.ClusterIp c) {
      return FieldError.invalid("spec.clusterIP", c.ip(), "provided IP is already allocated");
    }
    if (taken instanceof Allocation.LbIp l) {
      return FieldError.invalid("spec.loadBalancerIP", l.ip(), "provided IP is already allocated");
    }
    Allocation.NodePort n = (Allocation.NodePort) taken;
    for (int i = 0; i < spec.getPortsCount(); i++) {
      if (spec.getPorts(i).getNodePort() == n.port()
          && spec.getPorts(i).getProtocol().equals(n.protocol().apiName())) {
        return FieldError.invalid(
            "spec.ports[" + i + "].nodePort", n.port(), "provided port is already allocated");
      }
    }
    return FieldError.invalid(
        "spec.healthCheckNodePort", n.port(), "provided port is already allocated");
  }
}
