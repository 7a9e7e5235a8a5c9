package dev.switchboard.sbctl.output;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The columns {@code sbctl get} prints per kind, in kubectl's words and formats. */
public final class Rows {
  /** kubectl's ENDPOINTS column shows this many addresses, then "+ N more...". */
  static final int MAX_ENDPOINTS = 3;

  private Rows() {}

  public static List<String> serviceHeader(boolean wide) {
    List<String> h =
        new ArrayList<>(List.of("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"));
    if (wide) {
      h.add("SELECTOR");
    }
    return h;
  }

  public static List<String> service(Service svc, long now, boolean wide) {
    List<String> row =
        new ArrayList<>(
            List.of(
                svc.getMetadata().getName(),
                svc.getSpec().getType(),
                orNone(svc.getSpec().getClusterIp()),
                externalIp(svc),
                ports(svc),
                Age.of(svc.getMetadata().getCreationTimestampMillis(), now)));
    if (wide) {
      row.add(selector(svc.getSpec().getSelectorMap()));
    }
    return row;
  }

  /**
   * Load balancer ingress for LoadBalancer services ({@code <pending>} until cloud-lb writes it).
   */
  public static String externalIp(Service svc) {
    List<String> ips = new ArrayList<>();
    for (LoadBalancerIngress i : svc.getStatus().getLoadBalancer().getIngressList()) {
      ips.add(i.getIp().isEmpty() ? i.getHostname() : i.getIp());
    }
    if (svc.getSpec().getType().equals("LoadBalancer")) {
      return ips.isEmpty() ? "<pending>" : String.join(",", ips);
    }
    return "<none>";
  }

  /** {@code 80:30080/TCP,443/TCP}. */
  public static String ports(Service svc) {
    if (svc.getSpec().getPortsCount() == 0) {
      return "<none>";
    }
    List<String> ports = new ArrayList<>();
    for (ServicePort p : svc.getSpec().getPortsList()) {
      ports.add(
          p.getPort()
              + (p.getNodePort() != 0 ? ":" + p.getNodePort() : "")
              + "/"
              + p.getProtocol());
    }
    return String.join(",", ports);
  }

  /** {@code app=web,tier=front}, keys sorted, or {@code <none>}. */
  public static String selector(Map<String, String> selector) {
    if (selector.isEmpty()) {
      return "<none>";
    }
    return new TreeMap<>(selector)
        .entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(","));
  }

  public static List<String> podHeader() {
    return List.of("NAME", "READY", "STATUS", "IP", "NODE", "AGE");
  }

  public static List<String> pod(Pod pod, long now) {
    return List.of(
        pod.getMetadata().getName(),
        pod.getStatus().getReady() ? "1/1" : "0/1",
        podStatus(pod),
        orNone(pod.getStatus().getPodIp()),
        orNone(pod.getSpec().getNodeName()),
        Age.of(pod.getMetadata().getCreationTimestampMillis(), now));
  }

  /** Terminating, Pending (no IP yet) or Running. */
  public static String podStatus(Pod pod) {
    if (pod.getStatus().getTerminating()) {
      return "Terminating";
    }
    return pod.getStatus().getPodIp().isEmpty() ? "Pending" : "Running";
  }

  public static List<String> endpointsHeader() {
    return List.of("NAME", "ENDPOINTS", "AGE");
  }

  /**
   * @param createdMillis the service's creation time: endpoints live as long as it does
   */
  public static List<String> endpoints(Endpoints e, long createdMillis, long now) {
    return List.of(
        e.getMetadata().getName(),
        endpointList(e, null, MAX_ENDPOINTS),
        Age.of(createdMillis, now));
  }

  /**
   * Ready addresses with their ports, port by port as kubectl lists them: {@code
   * 127.0.10.1:8080,127.0.10.2:8080}, cut after {@code max} with {@code + N more...}.
   *
   * @param portName only this port (describe's per-port line), or null for all
   * @param max how many to show; 0 for all
   */
  public static String endpointList(Endpoints e, String portName, int max) {
    Set<String> names = new LinkedHashSet<>();
    for (Endpoint ep : e.getEndpointsList()) {
      ep.getPortsList().forEach(p -> names.add(p.getName()));
    }
    List<String> list = new ArrayList<>();
    for (Endpoint ep : e.getEndpointsList()) {
      if (ep.getConditions().getReady() && ep.getPortsCount() == 0 && portName == null) {
        list.add(ep.getAddress());
      }
    }
    for (String name : names) {
      if (portName != null && !portName.equals(name)) {
        continue;
      }
      for (Endpoint ep : e.getEndpointsList()) {
        if (!ep.getConditions().getReady()) {
          continue;
        }
        for (EndpointPort p : ep.getPortsList()) {
          if (p.getName().equals(name)) {
            list.add(ep.getAddress() + ":" + p.getPort());
          }
        }
      }
    }
    if (list.isEmpty()) {
      return "<none>";
    }
    if (max > 0 && list.size() > max) {
      return String.join(",", list.subList(0, max)) + " + " + (list.size() - max) + " more...";
    }
    return String.join(",", list);
  }

  public static List<String> nodeHeader() {
    return List.of("NAME", "STATUS", "ADDRESS", "AGE");
  }

  public static List<String> node(Node node, long now) {
    return List.of(
        node.getMetadata().getName(),
        node.getReady() ? "Ready" : "NotReady",
        orNone(node.getAddress()),
        Age.of(node.getMetadata().getCreationTimestampMillis(), now));
  }

  static String orNone(String s) {
    return s.isEmpty() ? "<none>" : s;
  }
}
