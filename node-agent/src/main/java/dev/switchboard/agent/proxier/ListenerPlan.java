package dev.switchboard.agent.proxier;

import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.ServiceTarget;

/**
 * One listener the agent wants: where it binds, for which service port, and where it forwards.
 *
 * @param key the socket
 * @param service the service it belongs to
 * @param port the service port's name, or its number when unnamed
 * @param kind NodePort or ClusterIP
 * @param reusePort bind with SO_REUSEPORT (ClusterIPs, shared by every agent of a host)
 * @param target endpoints and session affinity
 * @param http the port's appProtocol is {@code http} (TCP): forwarded as HTTP/1.1 when the agent
 *     traces, so each request is a span and the pod gets a {@code traceparent}
 * @param acceptProxyHeader a NodePort of a service whose cloud-lb sends PROXY v2 headers
 *     (annotation {@code switchboard.dev/proxy-protocol: v2}): clients may open with one
 * @param localOnly the traffic policy for this kind is {@code Local} (externalTrafficPolicy for
 *     NodePorts, internalTrafficPolicy for ClusterIPs): {@code target} holds only this node's
 *     endpoints, and the kernel data path keeps the client's address (no masquerade)
 * @param h2 the port's appProtocol is {@code kubernetes.io/h2c}, {@code h2c} or {@code grpc} (TCP):
 *     forwarded as HTTP/2, each call to an endpoint of its own ({@code forwarder.h2})
 */
public record ListenerPlan(
    ListenerKey key,
    ServiceName service,
    String port,
    Kind kind,
    boolean reusePort,
    ServiceTarget target,
    boolean http,
    boolean acceptProxyHeader,
    boolean localOnly,
    boolean h2) {

  /** An L4 listener forwarding to {@code target}, neither HTTP mode nor Local policy. */
  public ListenerPlan(
      ListenerKey key,
      ServiceName service,
      String port,
      Kind kind,
      boolean reusePort,
      ServiceTarget target) {
    this(key, service, port, kind, reusePort, target, false, false, false, false);
  }

  public enum Kind {
    NODE_PORT("NodePort"),
    CLUSTER_IP("ClusterIP"),
    /**
     * A LoadBalancer ingress IP (status.loadBalancer.ingress) at the service port: only the kernel
     * data path serves it on a node (cloud-lb binds these addresses itself, the userspace forwarder
     * never does).
     */
    LOAD_BALANCER("LoadBalancer");

    private final String display;

    Kind(String display) {
      this.display = display;
    }

    @Override
    public String toString() {
      return display;
    }
  }

  /** The listener's name in the forwarder: {@code default/web:http}. */
  public String listenerName() {
    return service + ":" + port;
  }

  /** True when the socket is the same, so only the target may need an update. */
  public boolean sameSocket(ListenerPlan other) {
    return key.equals(other.key)
        && service.equals(other.service)
        && port.equals(other.port)
        && kind == other.kind
        && reusePort == other.reusePort
        && http == other.http
        && h2 == other.h2
        && acceptProxyHeader == other.acceptProxyHeader;
  }

  /** "service default/web port http (NodePort TCP 127.0.1.1:30080)", for errors. */
  public String describe() {
    return "service " + service + " port " + port + " (" + kind + " " + key + ")";
  }
}
