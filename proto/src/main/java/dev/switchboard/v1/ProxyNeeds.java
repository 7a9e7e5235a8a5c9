package dev.switchboard.v1;

/**
 * Which service ports need a proxy rather than kernel address rewriting, and why: the one rule the
 * node agent (which serves such ports from its userspace forwarder in nftables mode) and sbctl
 * (which shows it) share. The kernel rewrites addresses only: it cannot read HTTP (per request
 * spans, {@code traceparent}) nor take a PROXY protocol header off a connection.
 */
public final class ProxyNeeds {
  /** appProtocol {@code http} on a TCP port: forwarded as HTTP/1.1, one span per request. */
  public static boolean http(ServicePort port) {
    return !"UDP".equalsIgnoreCase(port.getProtocol())
        && "http".equalsIgnoreCase(port.getAppProtocol());
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
