package dev.switchboard.sbctl.apply;

import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.SessionAffinityConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether applying a manifest would change nothing, so that apply can say {@code unchanged} and
 * skip the write as kubectl does. The server's defaults and kept allocations are repeated here (as
 * the Admin API documents them); where this errs, it errs towards "configured", which only costs a
 * write that changes nothing.
 */
final class Unchanged {
  private Unchanged() {}

  static boolean service(Service current, Service desired) {
    Service.Builder d = desired.toBuilder();
    ServiceSpec.Builder spec = d.getSpecBuilder();
    defaults(spec);
    keepAllocations(current.getSpec(), spec);
    return sameMeta(current.getMetadata(), d.getMetadata())
        && current.getSpec().equals(spec.build());
  }

  /** The server's Service defaults (type, protocol, targetPort, affinity, traffic policies). */
  private static void defaults(ServiceSpec.Builder spec) {
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
              .setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(10800)));
    } else if (spec.getSessionAffinity().equals("None")
        && spec.hasSessionAffinityConfig()
        && spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds() == 0) {
      spec.clearSessionAffinityConfig();
    }
    for (ServicePort.Builder port : spec.getPortsBuilderList()) {
      if (port.getProtocol().isEmpty()) {
        port.setProtocol("TCP");
      }
      IntOrString t = port.getTargetPort();
      boolean unset =
          switch (t.getValueCase()) {
            case INT_VALUE -> t.getIntValue() == 0;
            case STR_VALUE -> t.getStrValue().isEmpty();
            case VALUE_NOT_SET -> true;
          };
      if (unset) {
        port.setTargetPort(IntOrString.newBuilder().setIntValue(port.getPort()));
      }
    }
    boolean external = spec.getType().equals("NodePort") || spec.getType().equals("LoadBalancer");
    if (external && spec.getExternalTrafficPolicy().isEmpty()) {
      spec.setExternalTrafficPolicy("Cluster");
    }
    if (spec.getInternalTrafficPolicy().isEmpty()) {
      spec.setInternalTrafficPolicy("Cluster");
    }
  }

  /** Allocated values a manifest leaves out are kept by the server: fill them in from current. */
  private static void keepAllocations(ServiceSpec before, ServiceSpec.Builder after) {
    if (after.getClusterIp().isEmpty()) {
      after.setClusterIp(before.getClusterIp());
    }
    if (!before.getType().equals(after.getType())) {
      return; // a type change is a change whatever else holds
    }
    Map<String, Integer> byName = new HashMap<>();
    for (ServicePort p : before.getPortsList()) {
      byName.put(p.getName(), p.getNodePort());
    }
    for (ServicePort.Builder p : after.getPortsBuilderList()) {
      if (p.getNodePort() == 0 && byName.containsKey(p.getName())) {
        p.setNodePort(byName.get(p.getName()));
      }
    }
    if (after.getHealthCheckNodePort() == 0) {
      after.setHealthCheckNodePort(before.getHealthCheckNodePort());
    }
    if (after.getLoadBalancerIp().isEmpty()) {
      after.setLoadBalancerIp(before.getLoadBalancerIp());
    }
  }

  static boolean pod(Pod current, Pod desired) {
    Pod.Builder d = desired.toBuilder();
    for (Container.Builder c : d.getSpecBuilder().getContainersBuilderList()) {
      for (ContainerPort.Builder p : c.getPortsBuilderList()) {
        if (p.getProtocol().isEmpty()) {
          p.setProtocol("TCP");
        }
      }
    }
    boolean probed =
        d.getSpec().getContainersList().stream()
            .anyMatch(c -> c.hasReadinessProbe() || c.hasStartupProbe());
    if (probed) {
      // Ready is the node's word for a probed pod (the server keeps it): not the file's to change.
      d.getStatusBuilder()
          .setReady(current.getStatus().getReady())
          .setReadyMessage(current.getStatus().getReadyMessage());
    }
    return sameMeta(current.getMetadata(), d.getMetadata())
        && current.getSpec().equals(d.getSpec())
        && current.getStatus().equals(d.getStatus());
  }

  static boolean endpoints(List<Endpoint> current, List<Endpoint> desired) {
    List<Endpoint> d = new ArrayList<>();
    for (Endpoint e : desired) {
      Endpoint.Builder b = e.toBuilder();
      for (EndpointPort.Builder p : b.getPortsBuilderList()) {
        if (p.getProtocol().isEmpty()) {
          p.setProtocol("TCP");
        }
      }
      d.add(b.build());
    }
    return sorted(current).equals(sorted(d));
  }

  private static List<Endpoint> sorted(List<Endpoint> endpoints) {
    List<Endpoint> list = new ArrayList<>(endpoints);
    list.sort(Comparator.comparing(Endpoint::getAddress));
    return list;
  }

  private static boolean sameMeta(ObjectMeta current, ObjectMeta desired) {
    return current.getLabelsMap().equals(desired.getLabelsMap())
        && current.getAnnotationsMap().equals(desired.getAnnotationsMap());
  }
}
