package dev.switchboard.v1;

/**
 * Which service ports need a proxy rather than kernel address rewriting, and why: the one rule the
 * node agent (which serves such ports from its userspace forwarder in nftables mode) and sbctl
 * (which shows it) share. The kernel rewrites addresses only: it cannot read HTTP (per request
 * spans, {@code traceparent}) nor take a PROXY protocol header off a connection.
 */
public final class ProxyNeeds {
  /**
   * The appProtocol values served as HTTP/2, call by call: Kubernetes' own {@code
   * kubernetes.io/h2c} and the common {@code h2c} and {@code grpc} (gRPC's cleartext transport is
   * h2c with prior knowledge).
   */
  public static final java.util.Set<String> H2_APP_PROTOCOLS =
      java.util.Set.of("kubernetes.io/h2c", "h2c", "grpc");

  /** Why an HTTP/2 port needs the proxy, as status pages print it. */
  public static final String H2_REASON = "appProtocol h2c/grpc: balanced per call";

  /** appProtocol {@code http} on a TCP port: forwarded as HTTP/1.1, one span per request. */
  public static boolean http(ServicePort port) {
    return !"UDP".equalsIgnoreCase(port.getProtocol())
        && "http".equalsIgnoreCase(port.getAppProtocol());
  }

  /**
   * appProtocol {@code kubernetes.io/h2c}, {@code h2c} or {@code grpc} on a TCP port: the client's
   * HTTP/2 connection is terminated and each stream (gRPC call) goes to an endpoint of its own. The
   * kernel balances connections, and a gRPC client keeps one: only the proxy spreads its calls.
   */
  public static boolean h2(ServicePort port) {
    return !"UDP".equalsIgnoreCase(port.getProtocol())
        && H2_APP_PROTOCOLS.contains(port.getAppProtocol().toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * Why {@code port} needs the proxy ({@code proxyProtocol}: its service's PROXY protocol applies
   * to it); "" when it does not.
   */
  public static String reason(ServicePort port, boolean proxyProtocol) {
    if (h2(port)) {
      return H2_REASON;
    }
    return reason(http(port), proxyProtocol);
  }

  /**
   * The {@link Annotations#PROXY_PROTOCOL} annotation on {@code service}: its external TCP ports
   * (NodePorts, LoadBalancer IPs; never the ClusterIP) take cloud-lb's PROXY protocol v2 header.
   */
  public static boolean proxyProtocol(Service service, ServicePort port) {
    return "v2"
            .equals(service.getMetadata().getAnnotationsOrDefault(Annotations.PROXY_PROTOCOL, ""))
        && !"UDP".equalsIgnoreCase(port.getProtocol());
  }

  /**
   * Why {@code http} / {@code proxyProtocol} need the proxy, as status pages print it; "" when
   * neither.
   */
  public static String reason(boolean http, boolean proxyProtocol) {
    if (http) {
      return "appProtocol http";
    }
    return proxyProtocol ? "PROXY protocol (" + Annotations.PROXY_PROTOCOL + ": v2)" : "";
  }

  private ProxyNeeds() {}
}
