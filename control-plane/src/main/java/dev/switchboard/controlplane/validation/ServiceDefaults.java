package dev.switchboard.controlplane.validation;

import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.SessionAffinityConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes' defaults for a Service ({@code SetDefaults_Service}) and its write preparation
 * ({@code PrepareForCreate}, {@code PrepareForUpdate}, {@code patchAllocatedValues}, {@code
 * dropTypeDependentFields}), so that the YAML a user applies twice, or applies after a type change,
 * is accepted the way Kubernetes accepts it.
 */
public final class ServiceDefaults {
  /** The namespace of an object that names none, as kubectl assumes. */
  public static final String DEFAULT_NAMESPACE = "default";

  /** Kubernetes' default ClientIP affinity timeout, three hours. */
  public static final int DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;

  private ServiceDefaults() {}

  /**
   * Fills what the user may leave out: namespace "default", type ClusterIP, port protocol TCP,
   * targetPort = port, sessionAffinity None (ClientIP: timeout 10800), externalTrafficPolicy
   * Cluster for NodePort and LoadBalancer (none for ClusterIP), internalTrafficPolicy Cluster.
   * Values already set are kept, valid or not.
   */
  public static Service apply(Service service) {
    Service.Builder svc = service.toBuilder();
    if (svc.getMetadata().getNamespace().isEmpty()) {
      svc.getMetadataBuilder().setNamespace(DEFAULT_NAMESPACE);
    }
    ServiceSpec.Builder spec = svc.getSpecBuilder();
    if (spec.getType().isEmpty()) {
      spec.setType("ClusterIP");
    }
    if (spec.getSessionAffinity().isEmpty()) {
      spec.setSessionAffinity("None");
    }
    if (spec.getSessionAffinity().equals("ClientIP")
        && spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds() == 0) {
      spec.setSessionAffinityConfig(
          SessionAffinityConfig.newBuilder()
              .setClientIp(
                  ClientIPConfig.newBuilder()
                      .setTimeoutSeconds(DEFAULT_CLIENT_IP_TIMEOUT_SECONDS)));
    } else if (spec.getSessionAffinity().equals("None")
        && spec.hasSessionAffinityConfig()
        && spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds() == 0) {
      spec.clearSessionAffinityConfig(); // an empty config says nothing: drop it
    }
    for (ServicePort.Builder port : spec.getPortsBuilderList()) {
      if (port.getProtocol().isEmpty()) {
        port.setProtocol("TCP");
      }
      IntOrString target = port.getTargetPort();
      boolean unset =
          switch (target.getValueCase()) {
            case INT_VALUE -> target.getIntValue() == 0;
            case STR_VALUE -> target.getStrValue().isEmpty();
            case VALUE_NOT_SET -> true;
          };
      if (unset) {
        port.setTargetPort(IntOrString.newBuilder().setIntValue(port.getPort()));
      }
    }
    if (externallyAccessible(spec.getType()) && spec.getExternalTrafficPolicy().isEmpty()) {
      spec.setExternalTrafficPolicy("Cluster");
    }
    if (spec.getInternalTrafficPolicy().isEmpty()) {
      spec.setInternalTrafficPolicy("Cluster");
    }
    return svc.build();
  }

  /**
   * A {@linkplain #apply defaulted} service to create, with an empty status: status is the load
   * balancer's to write, not the creator's.
   */
  public static Service prepareForCreate(Service defaulted) {
    return defaulted.toBuilder().clearStatus().build();
  }

  /**
   * Prepares {@code updated}, {@linkplain #apply defaulted} already (once, as Kubernetes defaults
   * on decoding), to replace the stored {@code old}, as Kubernetes' update strategy does:
   *
   * <ol>
   *   <li>allocated values the client left empty are kept: clusterIP, nodePorts (matched by port
   *       name), healthCheckNodePort and loadBalancerIP, while the type still uses them;
   *   <li>values the new type no longer uses are dropped when the client sent them back unchanged:
   *       nodePorts and externalTrafficPolicy when leaving NodePort/LoadBalancer,
   *       healthCheckNodePort when it is no longer needed, loadBalancerIP when leaving
   *       LoadBalancer;
   *   <li>status is kept from {@code old} (it has its own write), and cleared when the service
   *       stops being a LoadBalancer.
   * </ol>
   */
  public static Service prepareForUpdate(Service old, Service updated) {
    Service.Builder svc = updated.toBuilder();
    ServiceSpec before = old.getSpec();
    ServiceSpec.Builder after = svc.getSpecBuilder();
    dropTypeDependentFields(before, after);
    patchAllocatedValues(before, after);
    if (old.hasStatus() && after.getType().equals("LoadBalancer")) {
      svc.setStatus(old.getStatus());
    } else {
      svc.clearStatus();
    }
    return svc.build();
  }

  private static void dropTypeDependentFields(ServiceSpec before, ServiceSpec.Builder after) {
    if (needsNodePorts(before.getType())
        && !needsNodePorts(after.getType())
        && sameNodePorts(before, after)) {
      for (ServicePort.Builder port : after.getPortsBuilderList()) {
        port.setNodePort(0);
      }
    }
    if (needsHealthCheck(before.getType(), before.getExternalTrafficPolicy())
        && !needsHealthCheck(after.getType(), after.getExternalTrafficPolicy())
        && before.getHealthCheckNodePort() == after.getHealthCheckNodePort()) {
      after.setHealthCheckNodePort(0);
    }
    if (externallyAccessible(before.getType())
        && !externallyAccessible(after.getType())
        && before.getExternalTrafficPolicy().equals(after.getExternalTrafficPolicy())) {
      after.setExternalTrafficPolicy("");
    }
    if (before.getType().equals("LoadBalancer")
        && !after.getType().equals("LoadBalancer")
        && before.getLoadBalancerIp().equals(after.getLoadBalancerIp())) {
      after.setLoadBalancerIp("");
    }
  }

  private static void patchAllocatedValues(ServiceSpec before, ServiceSpec.Builder after) {
    if (after.getClusterIp().isEmpty()) {
      after.setClusterIp(before.getClusterIp());
    }
    if (needsNodePorts(before.getType()) && needsNodePorts(after.getType())) {
      Set<Integer> oldPorts = new HashSet<>();
      Map<String, Integer> byName = new HashMap<>();
      for (ServicePort p : before.getPortsList()) {
        oldPorts.add(p.getNodePort());
        byName.put(p.getName(), p.getNodePort());
      }
      Set<Integer> used = new HashSet<>();
      for (ServicePort.Builder p : after.getPortsBuilderList()) {
        if (oldPorts.contains(p.getNodePort())) {
          used.add(p.getNodePort()); // kept explicitly: may not be patched in elsewhere
        }
      }
      for (ServicePort.Builder p : after.getPortsBuilderList()) {
        Integer previous = byName.get(p.getName());
        if (p.getNodePort() == 0 && previous != null && !used.contains(previous)) {
          p.setNodePort(previous);
          used.add(previous);
        }
      }
    }
    if (needsHealthCheck(before.getType(), before.getExternalTrafficPolicy())
        && needsHealthCheck(after.getType(), after.getExternalTrafficPolicy())
        && after.getHealthCheckNodePort() == 0) {
      after.setHealthCheckNodePort(before.getHealthCheckNodePort());
    }
    if (before.getType().equals("LoadBalancer")
        && after.getType().equals("LoadBalancer")
        && after.getLoadBalancerIp().isEmpty()) {
      after.setLoadBalancerIp(before.getLoadBalancerIp());
    }
  }

  private static boolean sameNodePorts(ServiceSpec before, ServiceSpec.Builder after) {
    if (before.getPortsCount() != after.getPortsCount()) {
      return false;
    }
    for (int i = 0; i < before.getPortsCount(); i++) {
      if (before.getPorts(i).getNodePort() != after.getPorts(i).getNodePort()) {
        return false;
      }
    }
    return true;
  }

  /** NodePort and LoadBalancer services are reachable from outside the cluster. */
  static boolean externallyAccessible(String type) {
    return type.equals("NodePort") || type.equals("LoadBalancer");
  }

  static boolean needsNodePorts(String type) {
    return externallyAccessible(type);
  }

  /**
   * A LoadBalancer with Local policy gets a healthCheckNodePort so the LB can skip nodes without
   * endpoints.
   */
  static boolean needsHealthCheck(String type, String externalTrafficPolicy) {
    return type.equals("LoadBalancer") && externalTrafficPolicy.equals("Local");
  }
}
