package dev.switchboard.agent.proxier;

import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.SessionAffinity;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.LoadBalancerIngress;
import dev.switchboard.v1.ProxyNeeds;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Works out what one service asks of this node, as kube-proxy does. A pure function of the service,
 * its endpoints and this node's identity.
 *
 * <ul>
 *   <li>ClusterIP: a listener on clusterIP:port per service port, unless headless ({@code None}).
 *       Shared by every agent of a host with SO_REUSEPORT.
 *   <li>NodePort and LoadBalancer: a listener on the node address at each port's nodePort.
 *   <li>LoadBalancer with status.loadBalancer.ingress IPs: an entry per IP and service port, for
 *       the kernel data path only (external traffic policy, like the NodePort).
 *   <li>Endpoints of a service port: those listing a port of the same name. Their conditions go to
 *       the forwarder as they are: it uses the ready ones, and the serving terminating ones only
 *       when none is ready.
 *   <li>externalTrafficPolicy Local: NodePort listeners use only this node's endpoints;
 *       internalTrafficPolicy Local: ClusterIP listeners likewise.
 *   <li>sessionAffinity ClientIP: pins a client IP to its endpoint for the configured timeout.
 *   <li>appProtocol {@code http} (TCP ports): marked for HTTP/1.1 forwarding (per-request spans).
 *   <li>appProtocol {@code kubernetes.io/h2c}, {@code h2c}, {@code grpc} (TCP ports): marked for
 *       HTTP/2 forwarding, each call balanced on its own.
 *   <li>LoadBalancer with externalTrafficPolicy Local: a health check on healthCheckNodePort.
 * </ul>
 */
public final class ServicePlanner {
  private static final Duration DEFAULT_AFFINITY_TIMEOUT = Duration.ofSeconds(10800);

  private final String nodeName;
  private final InetAddress nodeAddress;

  public ServicePlanner(String nodeName, InetAddress nodeAddress) {
    this.nodeName = nodeName;
    this.nodeAddress = nodeAddress;
  }

  public ServicePlan plan(ServiceName name, ServiceView view) {
    Service service = view.service();
    if (service == null) {
      return ServicePlan.NONE; // endpoints without their service: nothing to listen on yet
    }
    ServiceSpec spec = service.getSpec();
    Endpoints endpoints = view.hasEndpoints() ? view.endpoints() : Endpoints.getDefaultInstance();
    List<ListenerPlan> listeners = new ArrayList<>();
    List<String> errors = new ArrayList<>();

    String type = spec.getType().isEmpty() ? "ClusterIP" : spec.getType();
    boolean exposesNodePorts = type.equals("NodePort") || type.equals("LoadBalancer");
    boolean externalLocal = "Local".equals(spec.getExternalTrafficPolicy());
    boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
    SessionAffinity affinity = affinity(spec);

    Optional<InetAddress> clusterIp = Optional.empty();
    String ip = spec.getClusterIp();
    if (!ip.isEmpty() && !ip.equals("None")) {
      clusterIp = IpLiterals.parse(ip);
      if (clusterIp.isEmpty()) {
        errors.add(
            "service "
                + name
                + ": spec.clusterIP "
                + ip
                + " is not an IP address; no ClusterIP listeners");
      }
    }

    List<InetAddress> loadBalancerIps = new ArrayList<>();
    if (type.equals("LoadBalancer")) {
      for (LoadBalancerIngress ingress : service.getStatus().getLoadBalancer().getIngressList()) {
        if (ingress.getIp().isEmpty()) {
          continue; // a hostname-only ingress: nothing to match on
        }
        Optional<InetAddress> lbIp = IpLiterals.parse(ingress.getIp());
        if (lbIp.isEmpty()) {
          errors.add(
              "service "
                  + name
                  + ": status.loadBalancer.ingress ip "
                  + ingress.getIp()
                  + " is not an IP address; skipped");
        } else if (!loadBalancerIps.contains(lbIp.get())) {
          loadBalancerIps.add(lbIp.get());
        }
      }
    }

    for (ServicePort port : spec.getPortsList()) {
      String portName =
          port.getName().isEmpty() ? Integer.toString(port.getPort()) : port.getName();
      Protocol protocol = protocol(port.getProtocol());
      if (protocol == null) {
        errors.add(
            "service "
                + name
                + " port "
                + portName
                + ": protocol "
                + port.getProtocol()
                + " is not supported (expected: TCP or UDP)");
        continue;
      }
      List<Endpoint> all = endpointsFor(port.getName(), endpoints, name, errors);
      boolean http = ProxyNeeds.http(port);
      boolean h2 = ProxyNeeds.h2(port);
      boolean proxyHeaders = ProxyNeeds.proxyProtocol(service, port);
      List<Endpoint> local =
          all.stream().filter(e -> e.nodeName().map(nodeName::equals).orElse(false)).toList();
      if (clusterIp.isPresent()) {
        listeners.add(
            new ListenerPlan(
                new ListenerKey(protocol, clusterIp.get(), port.getPort()),
                name,
                portName,
                ListenerPlan.Kind.CLUSTER_IP,
                true,
                new ServiceTarget(internalLocal ? local : all, affinity),
                http,
                false,
                internalLocal,
                h2));
      }
      for (InetAddress ingress : loadBalancerIps) {
        listeners.add(
            new ListenerPlan(
                new ListenerKey(protocol, ingress, port.getPort()),
                name,
                portName,
                ListenerPlan.Kind.LOAD_BALANCER,
                false,
                new ServiceTarget(externalLocal ? local : all, affinity),
                http,
                proxyHeaders,
                externalLocal,
                h2));
      }
      if (exposesNodePorts && port.getNodePort() > 0) {
        listeners.add(
            new ListenerPlan(
                new ListenerKey(protocol, nodeAddress, port.getNodePort()),
                name,
                portName,
                ListenerPlan.Kind.NODE_PORT,
                false,
                new ServiceTarget(externalLocal ? local : all, affinity),
                http,
                proxyHeaders,
                externalLocal,
                h2));
      }
    }

    Optional<HealthCheckPlan> healthCheck = Optional.empty();
    if (type.equals("LoadBalancer") && externalLocal && spec.getHealthCheckNodePort() > 0) {
      healthCheck =
          Optional.of(
              new HealthCheckPlan(name, spec.getHealthCheckNodePort(), localReady(endpoints)));
    }
    return new ServicePlan(listeners, healthCheck, dedupe(errors));
  }

  private List<Endpoint> endpointsFor(
      String portName, Endpoints endpoints, ServiceName service, List<String> errors) {
    List<Endpoint> out = new ArrayList<>();
    for (dev.switchboard.v1.Endpoint e : endpoints.getEndpointsList()) {
      EndpointPort match = null;
      for (EndpointPort p : e.getPortsList()) {
        if (p.getName().equals(portName)) {
          match = p;
          break;
        }
      }
      if (match == null || match.getPort() < 1 || match.getPort() > 65535) {
        continue; // this endpoint does not serve this port (e.g. its pod lacks the named port)
      }
      Optional<InetAddress> address = IpLiterals.parse(e.getAddress());
      if (address.isEmpty()) {
        errors.add(
            "service "
                + service
                + ": endpoint address "
                + e.getAddress()
                + " is not an IP address; skipped");
        continue;
      }
      out.add(
          new Endpoint(
              address.get(),
              match.getPort(),
              e.getConditions().getReady(),
              e.getConditions().getServing(),
              e.getConditions().getTerminating(),
              // Interned: a cluster has a handful of node names, and every endpoint parsed from
              // the agent's state would otherwise hold a copy (100,000 at 10,000 services).
              e.getNodeName().isEmpty()
                  ? Optional.empty()
                  : Optional.of(e.getNodeName().intern())));
    }
    return out;
  }

  private int localReady(Endpoints endpoints) {
    Set<String> addresses = new HashSet<>();
    for (dev.switchboard.v1.Endpoint e : endpoints.getEndpointsList()) {
      if (nodeName.equals(e.getNodeName())
          && e.getConditions().getReady()
          && !e.getConditions().getTerminating()) {
        addresses.add(e.getAddress());
      }
    }
    return addresses.size();
  }

  private static SessionAffinity affinity(ServiceSpec spec) {
    if (!"ClientIP".equals(spec.getSessionAffinity())) {
      return SessionAffinity.NONE;
    }
    int seconds = spec.getSessionAffinityConfig().getClientIp().getTimeoutSeconds();
    return SessionAffinity.clientIp(
        seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_AFFINITY_TIMEOUT);
  }

  private static Protocol protocol(String protocol) {
    return switch (protocol) {
      case "", "TCP" -> Protocol.TCP;
      case "UDP" -> Protocol.UDP;
      default -> null;
    };
  }

  private static List<String> dedupe(List<String> errors) {
    return errors.stream().distinct().toList();
  }
}
