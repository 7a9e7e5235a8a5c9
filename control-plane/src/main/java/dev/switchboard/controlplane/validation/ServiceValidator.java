package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.Ipv4;
import dev.switchboard.controlplane.alloc.Ipv4Cidr;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.controlplane.alloc.ServiceAllocations;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Kubernetes' {@code ValidateService} for the Service types this mesh serves, plus the range checks
 * Kubernetes' allocators make (a requested clusterIP, nodePort, healthCheckNodePort or
 * loadBalancerIP must lie in the configured range), so one call reports every problem.
 *
 * <p>Validates a defaulted service ({@link ServiceDefaults}): zero nodePorts and
 * healthCheckNodePort and an empty clusterIP or loadBalancerIP mean "allocate one". Whether a
 * requested value is free is the store's business (its transaction finds out atomically); {@link
 * AllocationErrors} words that refusal.
 */
public final class ServiceValidator {
  /** Supported spec.type values, sorted as Kubernetes lists them. ExternalName is not served. */
  public static final List<String> SERVICE_TYPES = List.of("ClusterIP", "LoadBalancer", "NodePort");

  public static final List<String> SESSION_AFFINITIES = List.of("ClientIP", "None");
  public static final List<String> TRAFFIC_POLICIES = List.of("Cluster", "Local");

  /** Forwarded protocols. SCTP, valid in Kubernetes, is refused: the forwarders do not speak it. */
  public static final List<String> PROTOCOLS = List.of("TCP", "UDP");

  /** Kubernetes' upper bound on the ClientIP affinity timeout, one day. */
  public static final int MAX_CLIENT_IP_TIMEOUT_SECONDS = 86400;

  private final ClusterIpRange clusterIps;
  private final PortRange nodePorts;
  private final LbIpPools lbIps;

  public ServiceValidator(ClusterIpRange clusterIps, PortRange nodePorts, LbIpPools lbIps) {
    if (clusterIps == null || nodePorts == null || lbIps == null) {
      throw new IllegalArgumentException(
          "clusterIps, nodePorts, lbIps: "
              + clusterIps
              + ", "
              + nodePorts
              + ", "
              + lbIps
              + " (expected: all non-null; LbIpPools.none() for no pools)");
    }
    this.clusterIps = clusterIps;
    this.nodePorts = nodePorts;
    this.lbIps = lbIps;
  }

  /** Every problem with a service about to be created. */
  public List<FieldError> validate(Service service) {
    return validate(service, ServiceAllocations.NONE);
  }

  /**
   * Every problem with {@code updated} replacing the stored {@code old} (both defaulted, see {@link
   * ServiceDefaults#prepareForUpdate}): name and namespace, a set clusterIP (and with it
   * headless-ness) and a needed healthCheckNodePort are immutable; type changes are allowed. Values
   * the service already holds are not range-checked again, so narrowing a configured range does not
   * make existing services unchangeable.
   */
  public List<FieldError> validateUpdate(Service old, Service updated) {
    List<FieldError> errs = new ArrayList<>();
    errs.addAll(
        MetaRules.immutable(
            "metadata.name", updated.getMetadata().getName(), old.getMetadata().getName()));
    errs.addAll(
        MetaRules.immutable(
            "metadata.namespace",
            updated.getMetadata().getNamespace(),
            old.getMetadata().getNamespace()));
    ServiceSpec before = old.getSpec();
    ServiceSpec after = updated.getSpec();
    if (!before.getClusterIp().isEmpty()) {
      errs.addAll(
          MetaRules.immutable("spec.clusterIP", after.getClusterIp(), before.getClusterIp()));
    }
    if (ServiceDefaults.needsHealthCheck(before.getType(), before.getExternalTrafficPolicy())
        && ServiceDefaults.needsHealthCheck(after.getType(), after.getExternalTrafficPolicy())
        && before.getHealthCheckNodePort() != after.getHealthCheckNodePort()) {
      errs.add(FieldError.forbidden("spec.healthCheckNodePort", "field is immutable"));
    }
    errs.addAll(validate(updated, ServiceAllocations.of(old)));
    return errs;
  }

  /** Throws a {@link ValidationException} listing every problem of {@link #validate}. */
  public void requireValid(Service service) {
    ValidationException.throwIfAny("Service", service.getMetadata().getName(), validate(service));
  }

  /** Throws a {@link ValidationException} listing every problem of {@link #validateUpdate}. */
  public void requireValidUpdate(Service old, Service updated) {
    ValidationException.throwIfAny(
        "Service", updated.getMetadata().getName(), validateUpdate(old, updated));
  }

  /**
   * Kubernetes' {@code ValidateLoadBalancerStatus}, for the status the load balancer writes:
   * ingress only for LoadBalancer services, each ip a valid IPv4, each hostname a DNS name.
   */
  public List<FieldError> validateStatus(Service service) {
    List<FieldError> errs = new ArrayList<>();
    List<LoadBalancerIngress> ingress = service.getStatus().getLoadBalancer().getIngressList();
    if (!ingress.isEmpty() && !service.getSpec().getType().equals("LoadBalancer")) {
      errs.add(
          FieldError.forbidden(
              "status.loadBalancer.ingress",
              "may only be used when `spec.type` is 'LoadBalancer'"));
    }
    for (int i = 0; i < ingress.size(); i++) {
      String path = "status.loadBalancer.ingress[" + i + "]";
      LoadBalancerIngress in = ingress.get(i);
      if (!in.getIp().isEmpty() && Ipv4.parse(in.getIp()).isEmpty()) {
        errs.add(FieldError.invalid(path + ".ip", in.getIp(), "must be a valid IP address"));
      }
      if (!in.getHostname().isEmpty()) {
        for (String msg : NameRules.dns1123Subdomain(in.getHostname())) {
          errs.add(FieldError.invalid(path + ".hostname", in.getHostname(), msg));
        }
        if (Ipv4.parse(in.getHostname()).isPresent()) {
          errs.add(
              FieldError.invalid(
                  path + ".hostname", in.getHostname(), "must be a DNS name, not an IP address"));
        }
      }
    }
    return errs;
  }

  private List<FieldError> validate(Service service, ServiceAllocations held) {
    List<FieldError> errs = MetaRules.objectMeta(service.getMetadata(), NameRules::dns1035Label);
    ServiceSpec spec = service.getSpec();
    String type = spec.getType();
    boolean headless = spec.getClusterIp().equals("None");

    if (spec.getPortsCount() == 0 && !headless) {
      errs.add(FieldError.required("spec.ports", ""));
    }
    if (headless && ServiceDefaults.externallyAccessible(type)) {
      errs.add(
          FieldError.invalid(
              "spec.clusterIP", "None", "may not be set to 'None' for " + type + " services"));
    }
    ServicePortRules.eachPort(spec, errs);
    errs.addAll(MetaRules.labels(spec.getSelectorMap(), "spec.selector"));
    sessionAffinity(spec, errs);
    clusterIp(spec, held, errs);
    if (type.isEmpty()) {
      errs.add(FieldError.required("spec.type", ""));
    } else if (!SERVICE_TYPES.contains(type)) {
      errs.add(FieldError.notSupported("spec.type", type, SERVICE_TYPES));
    }
    ServicePortRules.nodePortsAndDuplicates(spec, nodePorts, held, errs);
    loadBalancerFields(service, held, errs);
    externalTrafficPolicy(spec, held, errs);
    if (spec.getInternalTrafficPolicy().isEmpty()) {
      errs.add(FieldError.required("spec.internalTrafficPolicy", ""));
    } else if (!TRAFFIC_POLICIES.contains(spec.getInternalTrafficPolicy())) {
      errs.add(
          FieldError.notSupported(
              "spec.internalTrafficPolicy", spec.getInternalTrafficPolicy(), TRAFFIC_POLICIES));
    }
    return errs;
  }

  private static void sessionAffinity(ServiceSpec spec, List<FieldError> errs) {
    String affinity = spec.getSessionAffinity();
    if (affinity.isEmpty()) {
      errs.add(FieldError.required("spec.sessionAffinity", ""));
    } else if (!SESSION_AFFINITIES.contains(affinity)) {
      errs.add(FieldError.notSupported("spec.sessionAffinity", affinity, SESSION_AFFINITIES));
    }
    int timeout = spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds();
    if (affinity.equals("ClientIP")) {
      String path = "spec.sessionAffinityConfig.clientIP.timeoutSeconds";
      if (timeout == 0) {
        errs.add(FieldError.required(path, "when session affinity type is ClientIP"));
      } else if (timeout < 0 || timeout > MAX_CLIENT_IP_TIMEOUT_SECONDS) {
        errs.add(
            FieldError.invalid(
                path,
                timeout,
                "must be greater than 0 and less than or equal to "
                    + MAX_CLIENT_IP_TIMEOUT_SECONDS));
      }
    } else if (affinity.equals("None") && spec.hasSessionAffinityConfig() && timeout != 0) {
      errs.add(
          FieldError.forbidden(
              "spec.sessionAffinityConfig", "must not be set when session affinity is None"));
    }
  }

  private void clusterIp(ServiceSpec spec, ServiceAllocations held, List<FieldError> errs) {
    String ip = spec.getClusterIp();
    if (ip.isEmpty() || ip.equals("None") || held.clusterIp().equals(Optional.of(ip))) {
      return;
    }
    if (Ipv4.parse(ip).isEmpty()) {
      errs.add(
          FieldError.invalid(
              "spec.clusterIP", ip, "must be empty, 'None', or a valid IPv4 address"));
    } else if (!clusterIps.isInValidRange(ip)) {
      errs.add(
          FieldError.invalid(
              "spec.clusterIP",
              ip,
              "provided IP is not in the valid range. The range of valid IPs is " + clusterIps));
    } else if (clusterIps.isMeshAddress(ip)) {
      errs.add(FieldError.invalid("spec.clusterIP", ip, "provided IP is reserved for the mesh"));
    }
  }

  private void loadBalancerFields(Service service, ServiceAllocations held, List<FieldError> errs) {
    ServiceSpec spec = service.getSpec();
    boolean loadBalancer = spec.getType().equals("LoadBalancer");
    String annotation =
        service.getMetadata().getAnnotationsMap().get(Annotations.LOAD_BALANCER_SOURCE_RANGES);
    if (spec.getLoadBalancerSourceRangesCount() > 0) {
      if (!loadBalancer) {
        errs.add(
            FieldError.forbidden(
                "spec.loadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"));
      }
      for (int i = 0; i < spec.getLoadBalancerSourceRangesCount(); i++) {
        // Kubernetes tolerates padding here, for the annotation this field replaced.
        sourceRange(
            spec.getLoadBalancerSourceRanges(i).trim(),
            "spec.loadBalancerSourceRanges[" + i + "]",
            errs);
      }
    } else if (annotation != null) {
      // The deprecated annotation counts only when the field is empty, as for Kubernetes and its
      // cloud providers: checked like the field, each entry reported under the annotation's path.
      String path = "metadata.annotations[" + Annotations.LOAD_BALANCER_SOURCE_RANGES + "]";
      if (!loadBalancer) {
        errs.add(FieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
      }
      for (String value : Annotations.sourceRanges(annotation)) {
        sourceRange(value, path, errs);
      }
    }
    String ip = spec.getLoadBalancerIp();
    if (ip.isEmpty()) {
      return;
    }
    if (!loadBalancer) {
      errs.add(
          FieldError.forbidden(
              "spec.loadBalancerIP", "may only be used when `type` is 'LoadBalancer'"));
    } else if (Ipv4.parse(ip).isEmpty()) {
      errs.add(FieldError.invalid("spec.loadBalancerIP", ip, "must be a valid IPv4 address"));
    } else if (!held.lbIp().equals(Optional.of(ip)) && !lbIps.contains(ip)) {
      errs.add(
          FieldError.invalid(
              "spec.loadBalancerIP",
              ip,
              lbIps.isEmpty()
                  ? "provided IP is not in the valid range. No LoadBalancer IP pools are configured"
                  : "provided IP is not in the valid range. The range of valid IPs is " + lbIps));
    }
  }

  private static void sourceRange(String value, String path, List<FieldError> errs) {
    Optional<String> canonical = Ipv4Cidr.canonicalForm(value);
    if (canonical.isEmpty()) {
      errs.add(
          FieldError.invalid(path, value, "must be a valid IPv4 CIDR value, (e.g. 10.9.8.0/24)"));
    } else if (!canonical.get().equals(value)) {
      errs.add(
          FieldError.invalid(
              path, value, "must be in canonical form (" + GoFormat.quote(canonical.get()) + ")"));
    }
  }

  private void externalTrafficPolicy(
      ServiceSpec spec, ServiceAllocations held, List<FieldError> errs) {
    String policy = spec.getExternalTrafficPolicy();
    if (!ServiceDefaults.externallyAccessible(spec.getType())) {
      if (!policy.isEmpty()) {
        errs.add(
            FieldError.invalid(
                "spec.externalTrafficPolicy",
                policy,
                "may only be set for externally-accessible services"));
      }
    } else if (policy.isEmpty()) {
      errs.add(FieldError.required("spec.externalTrafficPolicy", ""));
    } else if (!TRAFFIC_POLICIES.contains(policy)) {
      errs.add(FieldError.notSupported("spec.externalTrafficPolicy", policy, TRAFFIC_POLICIES));
    }
    int port = spec.getHealthCheckNodePort();
    if (port == 0) {
      return; // allocated when needed
    }
    if (!ServiceDefaults.needsHealthCheck(spec.getType(), policy)) {
      errs.add(
          FieldError.invalid(
              "spec.healthCheckNodePort",
              port,
              "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
      return;
    }
    boolean heldAlready =
        held.healthCheckNodePort().isPresent() && held.healthCheckNodePort().getAsInt() == port;
    if (!heldAlready && !nodePorts.contains(port)) {
      errs.add(
          FieldError.invalid(
              "spec.healthCheckNodePort", port, ServicePortRules.notInRange(nodePorts)));
    }
    for (ServicePort p : spec.getPortsList()) {
      if (p.getNodePort() == port && p.getProtocol().equals("TCP")) {
        errs.add(FieldError.duplicate("spec.healthCheckNodePort", port));
        break;
      }
    }
  }
}
