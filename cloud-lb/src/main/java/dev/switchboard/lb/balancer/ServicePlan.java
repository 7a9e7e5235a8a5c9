package dev.switchboard.lb.balancer;

import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.ProxyNeeds;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What the load balancer does for one LoadBalancer service, read from its spec once per change: the
 * external IP, the ports with their NodePorts, the traffic policy, the source ranges and PROXY
 * protocol. A spec the balancer cannot serve (no IP allocated yet, a bad range) is refused here
 * with a message naming the field, and the service is not bound: failing open on a bad source range
 * would expose it.
 *
 * @param warnings problems that do not stop serving (an unknown annotation value), for the NACK
 */
public record ServicePlan(
    ServiceName key,
    InetAddress ip,
    List<PortPlan> ports,
    boolean localPolicy,
    int healthCheckNodePort,
    SourceRanges sourceRanges,
    boolean proxyProtocol,
    List<String> warnings) {

  /** The annotation that turns PROXY protocol on towards the nodes; the only value is "v2". */
  public static final String PROXY_PROTOCOL_ANNOTATION = Annotations.PROXY_PROTOCOL;

  /**
   * One service port: clients reach {@code ip:port}; it is forwarded to each node's {@code
   * nodePort}.
   *
   * @param http appProtocol {@code http} on a TCP port: forwarded as HTTP/1.1 when tracing
   * @param h2 appProtocol {@code kubernetes.io/h2c}, {@code h2c} or {@code grpc} on a TCP port:
   *     forwarded as HTTP/2, call by call
   */
  public record PortPlan(
      String name, Protocol protocol, int port, int nodePort, boolean http, boolean h2) {
    public PortPlan(String name, Protocol protocol, int port, int nodePort) {
      this(name, protocol, port, nodePort, false, false);
    }

    /** "TCP/80" or "http" for listener names. */
    public String label() {
      return name.isEmpty() ? protocol + "/" + port : name;
    }
  }

  public ServicePlan {
    ports = List.copyOf(ports);
    warnings = List.copyOf(warnings);
  }

  /**
   * @throws IllegalArgumentException naming the service and field when it cannot be served
   */
  public static ServicePlan of(Service service) {
    ServiceName key = ServiceName.of(service);
    ServiceSpec spec = service.getSpec();
    String ipText = spec.getLoadBalancerIp();
    if (ipText.isEmpty()) {
      throw new IllegalArgumentException(
          key + ": spec.loadBalancerIP: \"\" (expected: an allocated IPv4 address)");
    }
    InetAddress ip =
        IpLiterals.ipv4(ipText)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        key + ": spec.loadBalancerIP: " + ipText + " (expected: an IPv4 address)"));
    List<PortPlan> ports = new ArrayList<>();
    for (int i = 0; i < spec.getPortsCount(); i++) {
      ports.add(port(key, i, spec.getPorts(i)));
    }
    boolean local = "Local".equals(spec.getExternalTrafficPolicy());
    if (local && (spec.getHealthCheckNodePort() < 1 || spec.getHealthCheckNodePort() > 65535)) {
      throw new IllegalArgumentException(
          key
              + ": spec.healthCheckNodePort: "
              + spec.getHealthCheckNodePort()
              + " (expected: 1-65535 for externalTrafficPolicy Local)");
    }
    SourceRanges ranges;
    try {
      ranges = SourceRanges.of(service);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
    List<String> warnings = new ArrayList<>();
    String proxy = service.getMetadata().getAnnotationsOrDefault(PROXY_PROTOCOL_ANNOTATION, "");
    if (!proxy.isEmpty() && !proxy.equals("v2")) {
      warnings.add(
          key
              + ": metadata.annotations["
              + PROXY_PROTOCOL_ANNOTATION
              + "]: "
              + proxy
              + " (expected: v2); served without PROXY protocol");
    }
    return new ServicePlan(
        key,
        ip,
        ports,
        local,
        local ? spec.getHealthCheckNodePort() : 0,
        ranges,
        proxy.equals("v2"),
        warnings);
  }

  private static PortPlan port(ServiceName key, int i, ServicePort p) {
    String field = key + ": spec.ports[" + i + "]";
    Protocol protocol =
        protocol(p.getProtocol())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        field + ".protocol: " + p.getProtocol() + " (expected: TCP or UDP)"));
    if (p.getPort() < 1 || p.getPort() > 65535) {
      throw new IllegalArgumentException(field + ".port: " + p.getPort() + " (expected: 1-65535)");
    }
    if (p.getNodePort() < 1 || p.getNodePort() > 65535) {
      throw new IllegalArgumentException(
          field + ".nodePort: " + p.getNodePort() + " (expected: an allocated port 1-65535)");
    }
    return new PortPlan(
        p.getName(),
        protocol,
        p.getPort(),
        p.getNodePort(),
        protocol == Protocol.TCP && "http".equalsIgnoreCase(p.getAppProtocol()),
        protocol == Protocol.TCP && ProxyNeeds.h2(p));
  }

  private static Optional<Protocol> protocol(String text) {
    return switch (text.toUpperCase(Locale.ROOT)) {
      case "", "TCP" -> Optional.of(Protocol.TCP);
      case "UDP" -> Optional.of(Protocol.UDP);
      default -> Optional.empty();
    };
  }
}
