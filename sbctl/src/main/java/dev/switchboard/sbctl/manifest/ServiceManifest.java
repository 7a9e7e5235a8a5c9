package dev.switchboard.sbctl.manifest;

import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.SessionAffinityConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code v1 Service} YAML ↔ {@link Service}, with Kubernetes' field names. */
public final class ServiceManifest {
  /**
   * ServiceSpec fields with no effect here (single-stack IPv4, one load balancer implementation).
   */
  public static final List<String> IGNORED_SPEC =
      List.of(
          "clusterIPs",
          "ipFamilies",
          "ipFamilyPolicy",
          "allocateLoadBalancerNodePorts",
          "loadBalancerClass",
          "trafficDistribution");

  private ServiceManifest() {}

  /** The whole of {@code status} is ignored: it is the load balancer's to write. */
  static Service read(Fields root) {
    Service.Builder svc = Service.newBuilder();
    Fields meta = root.object("metadata");
    svc.setMetadata(Metadata.read(meta));
    meta.ignore("deletionTimestamp");
    meta.finish();
    svc.setSpec(spec(root.object("spec")));
    root.ignore("status");
    return svc.build();
  }

  private static ServiceSpec spec(Fields spec) {
    ServiceSpec.Builder b = ServiceSpec.newBuilder();
    setIfPresent(spec.string("type"), b::setType);
    b.putAllSelector(spec.stringMap("selector"));
    for (Fields port : spec.objects("ports")) {
      b.addPorts(port(port));
    }
    setIfPresent(spec.string("clusterIP"), b::setClusterIp);
    setIfPresent(spec.string("sessionAffinity"), b::setSessionAffinity);
    Fields affinity = spec.object("sessionAffinityConfig");
    if (affinity.present()) {
      Fields clientIp = affinity.object("clientIP");
      Integer timeout = clientIp.int32("timeoutSeconds");
      clientIp.finish();
      affinity.finish();
      b.setSessionAffinityConfig(
          SessionAffinityConfig.newBuilder()
              .setClientIp(
                  ClientIPConfig.newBuilder().setTimeoutSeconds(timeout == null ? 0 : timeout)));
    }
    setIfPresent(spec.string("externalTrafficPolicy"), b::setExternalTrafficPolicy);
    Integer healthCheck = spec.int32("healthCheckNodePort");
    if (healthCheck != null) {
      b.setHealthCheckNodePort(healthCheck);
    }
    setIfPresent(spec.string("internalTrafficPolicy"), b::setInternalTrafficPolicy);
    b.addAllLoadBalancerSourceRanges(spec.strings("loadBalancerSourceRanges"));
    setIfPresent(spec.string("loadBalancerIP"), b::setLoadBalancerIp);
    Boolean publish = spec.bool("publishNotReadyAddresses");
    if (publish != null) {
      b.setPublishNotReadyAddresses(publish);
    }
    spec.unsupported("externalIPs", "use type LoadBalancer or NodePort");
    spec.unsupported("externalName", "ExternalName services are not supported");
    spec.ignore(IGNORED_SPEC.toArray(String[]::new));
    spec.finish();
    return b.build();
  }

  private static ServicePort port(Fields port) {
    ServicePort.Builder b = ServicePort.newBuilder();
    setIfPresent(port.string("name"), b::setName);
    setIfPresent(port.string("protocol"), b::setProtocol);
    Integer number = port.int32("port");
    if (number == null && !port.has("port") && port.present()) {
      port.problems().add(port.child("port") + ": required");
    } else if (number != null) {
      b.setPort(number);
    }
    Object target = port.value("targetPort");
    if (target instanceof String s) {
      b.setTargetPort(IntOrString.newBuilder().setStrValue(s));
    } else if (target != null) {
      Integer t = Fields.int32Value(target, port.child("targetPort"), port.problems());
      if (t != null) {
        b.setTargetPort(IntOrString.newBuilder().setIntValue(t));
      }
    }
    Integer nodePort = port.int32("nodePort");
    if (nodePort != null) {
      b.setNodePort(nodePort);
    }
    setIfPresent(port.string("appProtocol"), b::setAppProtocol);
    port.finish();
    return b.build();
  }

  /** The Service as {@code kubectl get -o yaml} prints one; applying it again changes nothing. */
  public static Map<String, Object> write(Service svc) {
    Map<String, Object> m = Metadata.object("v1", "Service", Metadata.write(svc.getMetadata()));
    ServiceSpec s = svc.getSpec();
    Map<String, Object> spec = new TreeMap<>();
    putIfSet(spec, "type", s.getType());
    if (s.getSelectorCount() > 0) {
      spec.put("selector", new TreeMap<>(s.getSelectorMap()));
    }
    List<Object> ports = new ArrayList<>();
    for (ServicePort p : s.getPortsList()) {
      Map<String, Object> port = new TreeMap<>();
      putIfSet(port, "name", p.getName());
      putIfSet(port, "protocol", p.getProtocol());
      port.put("port", p.getPort());
      switch (p.getTargetPort().getValueCase()) {
        case INT_VALUE -> port.put("targetPort", p.getTargetPort().getIntValue());
        case STR_VALUE -> port.put("targetPort", p.getTargetPort().getStrValue());
        default -> {}
      }
      if (p.getNodePort() != 0) {
        port.put("nodePort", p.getNodePort());
      }
      putIfSet(port, "appProtocol", p.getAppProtocol());
      ports.add(port);
    }
    if (!ports.isEmpty()) {
      spec.put("ports", ports);
    }
    putIfSet(spec, "clusterIP", s.getClusterIp());
    putIfSet(spec, "sessionAffinity", s.getSessionAffinity());
    if (s.hasSessionAffinityConfig()) {
      spec.put(
          "sessionAffinityConfig",
          Map.of(
              "clientIP",
              Map.of(
                  "timeoutSeconds",
                  s.getSessionAffinityConfig().getClientIp().getTimeoutSeconds())));
    }
    putIfSet(spec, "externalTrafficPolicy", s.getExternalTrafficPolicy());
    if (s.getHealthCheckNodePort() != 0) {
      spec.put("healthCheckNodePort", s.getHealthCheckNodePort());
    }
    putIfSet(spec, "internalTrafficPolicy", s.getInternalTrafficPolicy());
    if (s.getLoadBalancerSourceRangesCount() > 0) {
      spec.put("loadBalancerSourceRanges", List.copyOf(s.getLoadBalancerSourceRangesList()));
    }
    putIfSet(spec, "loadBalancerIP", s.getLoadBalancerIp());
    if (s.getPublishNotReadyAddresses()) {
      spec.put("publishNotReadyAddresses", true);
    }
    m.put("spec", spec);
    Map<String, Object> loadBalancer = new LinkedHashMap<>();
    List<Object> ingress = new ArrayList<>();
    for (LoadBalancerIngress i : svc.getStatus().getLoadBalancer().getIngressList()) {
      Map<String, Object> entry = new TreeMap<>();
      putIfSet(entry, "ip", i.getIp());
      putIfSet(entry, "hostname", i.getHostname());
      ingress.add(entry);
    }
    if (!ingress.isEmpty()) {
      loadBalancer.put("ingress", ingress);
    }
    m.put("status", Map.of("loadBalancer", loadBalancer));
    return m;
  }

  static void setIfPresent(String value, java.util.function.Consumer<String> setter) {
    if (value != null) {
      setter.accept(value);
    }
  }

  static void putIfSet(Map<String, Object> m, String key, String value) {
    if (!value.isEmpty()) {
      m.put(key, value);
    }
  }
}
