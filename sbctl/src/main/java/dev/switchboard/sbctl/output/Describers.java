package dev.switchboard.sbctl.output;

import dev.switchboard.sbctl.manifest.Metadata;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.ProxyNeeds;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.ArrayList;
import java.util.List;

/** {@code describe} for each kind, following kubectl's wording and order. */
public final class Describers {
  private Describers() {}

  /**
   * @param endpoints the service's endpoints, or null when it has none yet
   */
  public static String service(Service svc, Endpoints endpoints) {
    ServiceSpec s = svc.getSpec();
    Description d =
        new Description()
            .add(0, "Name", svc.getMetadata().getName())
            .add(0, "Namespace", svc.getMetadata().getNamespace())
            .add(0, "Labels", Description.pairs(svc.getMetadata().getLabelsMap()))
            .add(0, "Annotations", Description.pairs(svc.getMetadata().getAnnotationsMap()))
            .add(0, "Selector", Rows.selector(s.getSelectorMap()).replace("<none>", ""))
            .add(0, "Type", s.getType())
            .add(0, "IP", s.getClusterIp());
    if (!s.getLoadBalancerIp().isEmpty()) {
      d.add(0, "LoadBalancer IP", s.getLoadBalancerIp());
    }
    if (s.getType().equals("LoadBalancer")) {
      List<String> ingress = new ArrayList<>();
      for (LoadBalancerIngress i : svc.getStatus().getLoadBalancer().getIngressList()) {
        ingress.add(i.getIp().isEmpty() ? i.getHostname() : i.getIp());
      }
      d.add(0, "LoadBalancer Ingress", ingress.isEmpty() ? List.of("<pending>") : ingress);
    }
    Endpoints e = endpoints == null ? Endpoints.getDefaultInstance() : endpoints;
    for (ServicePort p : s.getPortsList()) {
      String name = p.getName().isEmpty() ? "<unset>" : p.getName();
      d.add(0, "Port", name + "  " + p.getPort() + "/" + p.getProtocol());
      String target =
          switch (p.getTargetPort().getValueCase()) {
            case INT_VALUE -> Integer.toString(p.getTargetPort().getIntValue());
            case STR_VALUE -> p.getTargetPort().getStrValue();
            case VALUE_NOT_SET -> Integer.toString(p.getPort());
          };
      d.add(0, "TargetPort", target + "/" + p.getProtocol());
      if (p.getNodePort() != 0) {
        d.add(0, "NodePort", name + "  " + p.getNodePort() + "/" + p.getProtocol());
      }
      if (!p.getAppProtocol().isEmpty()) {
        d.add(0, "AppProtocol", p.getAppProtocol());
      }
      d.add(0, "Data Path", dataPath(svc, p));
      d.add(0, "Endpoints", Rows.endpointList(e, p.getName(), 0).replace("<none>", ""));
    }
    List<String> notReady = new ArrayList<>();
    for (Endpoint ep : e.getEndpointsList()) {
      if (!ep.getConditions().getReady()) {
        notReady.add(
            ep.getAddress()
                + (ep.getConditions().getTerminating()
                    ? " (terminating)"
                    : ep.getConditions().getServing() ? " (serving)" : ""));
      }
    }
    if (!notReady.isEmpty()) {
      d.add(0, "Not Ready Endpoints", String.join(",", notReady));
    }
    d.add(0, "Session Affinity", s.getSessionAffinity());
    if (s.getSessionAffinity().equals("ClientIP")) {
      d.add(
          0,
          "Session Affinity Timeout",
          s.getSessionAffinityConfig().getClientIp().getTimeoutSeconds() + "s");
    }
    if (!s.getExternalTrafficPolicy().isEmpty()) {
      d.add(0, "External Traffic Policy", s.getExternalTrafficPolicy());
    }
    if (s.getHealthCheckNodePort() != 0) {
      d.add(0, "HealthCheck NodePort", Integer.toString(s.getHealthCheckNodePort()));
    }
    d.add(0, "Internal Traffic Policy", s.getInternalTrafficPolicy());
    if (s.getLoadBalancerSourceRangesCount() > 0) {
      d.add(0, "LoadBalancer Source Ranges", String.join(",", s.getLoadBalancerSourceRangesList()));
    }
    if (s.getPublishNotReadyAddresses()) {
      d.add(0, "Publish Not Ready Addresses", "true");
    }
    return d.render();
  }

  public static String pod(Pod pod) {
    Description d =
        new Description()
            .add(0, "Name", pod.getMetadata().getName())
            .add(0, "Namespace", pod.getMetadata().getNamespace())
            .add(0, "Node", pod.getSpec().getNodeName())
            .add(
                0,
                "Start Time",
                pod.getMetadata().getCreationTimestampMillis() == 0
                    ? ""
                    : Metadata.timestamp(pod.getMetadata().getCreationTimestampMillis()))
            .add(0, "Labels", Description.pairs(pod.getMetadata().getLabelsMap()))
            .add(0, "Annotations", Description.pairs(pod.getMetadata().getAnnotationsMap()))
            .add(0, "Status", Rows.podStatus(pod))
            .add(0, "IP", pod.getStatus().getPodIp());
    d.text(0, "Containers:");
    for (Container c : pod.getSpec().getContainersList()) {
      d.text(1, (c.getName().isEmpty() ? "<unnamed>" : c.getName()) + ":");
      List<String> ports = new ArrayList<>();
      for (ContainerPort p : c.getPortsList()) {
        ports.add(
            p.getContainerPort()
                + "/"
                + p.getProtocol()
                + (p.getName().isEmpty() ? "" : " (" + p.getName() + ")"));
      }
      d.add(2, ports.size() == 1 ? "Port" : "Ports", String.join(", ", ports));
      if (c.hasReadinessProbe()) {
        d.add(2, "Readiness", probe(c.getReadinessProbe()));
      }
      if (c.hasStartupProbe()) {
        d.add(2, "Startup", probe(c.getStartupProbe()));
      }
    }
    d.text(0, "Conditions:");
    Table conditions = new Table(List.of("Type", "Status"));
    conditions.add(List.of("Ready", pod.getStatus().getReady() ? "True" : "False"));
    for (List<String> row : conditions.rows()) {
      d.text(1, conditions.format(row).stripTrailing());
    }
    if (!pod.getStatus().getReadyMessage().isEmpty()) {
      // kubectl shows the probe's failure as the last Unhealthy event; here it is the stored
      // reason.
      d.text(0, "Events:");
      d.text(1, "Type     Reason     Message");
      d.text(1, "Warning  Unhealthy  " + pod.getStatus().getReadyMessage());
    }
    return d.render();
  }

  /**
   * As kubectl: {@code http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1
   * #failure=3}.
   */
  static String probe(Probe p) {
    String how =
        switch (p.getHandlerCase()) {
          case HTTP_GET ->
              "http-get "
                  + p.getHttpGet().getScheme().toLowerCase(java.util.Locale.ROOT)
                  + "://"
                  + p.getHttpGet().getHost()
                  + ":"
                  + port(p.getHttpGet().getPort())
                  + p.getHttpGet().getPath();
          case TCP_SOCKET ->
              "tcp-socket " + p.getTcpSocket().getHost() + ":" + port(p.getTcpSocket().getPort());
          case GRPC -> "grpc <pod>:" + p.getGrpc().getPort() + " " + p.getGrpc().getService();
          case EXEC -> "exec " + p.getExec().getCommandList();
          default -> "<none>";
        };
    return how
        + " delay="
        + p.getInitialDelaySeconds()
        + "s timeout="
        + p.getTimeoutSeconds()
        + "s period="
        + p.getPeriodSeconds()
        + "s #success="
        + p.getSuccessThreshold()
        + " #failure="
        + p.getFailureThreshold();
  }

  private static String port(IntOrString port) {
    return port.hasStrValue() ? port.getStrValue() : Integer.toString(port.getIntValue());
  }

  /**
   * Where nodes in nftables mode serve {@code port} ({@link ProxyNeeds}, the agents' own rule):
   * kernel rules, or the agent's forwarder and why. Nodes in userspace mode forward every port.
   */
  static String dataPath(Service svc, ServicePort port) {
    if (ProxyNeeds.http(port) || ProxyNeeds.h2(port)) {
      return "userspace (" + ProxyNeeds.reason(port, false) + ")";
    }
    if (ProxyNeeds.proxyProtocol(svc, port) && !svc.getSpec().getType().equals("ClusterIP")) {
      return "nftables (ClusterIP); userspace (NodePort, LoadBalancer: "
          + ProxyNeeds.reason(false, true)
          + ")";
    }
    return "nftables";
  }

  public static String node(Node node) {
    return new Description()
        .add(0, "Name", node.getMetadata().getName())
        .add(0, "Labels", Description.pairs(node.getMetadata().getLabelsMap()))
        .add(
            0,
            "CreationTimestamp",
            node.getMetadata().getCreationTimestampMillis() == 0
                ? ""
                : Metadata.timestamp(node.getMetadata().getCreationTimestampMillis()))
        .add(0, "Address", node.getAddress())
        .add(0, "Ready", node.getReady() ? "True" : "False")
        .render();
  }
}
