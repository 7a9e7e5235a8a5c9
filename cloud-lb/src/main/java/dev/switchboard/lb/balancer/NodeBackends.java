package dev.switchboard.lb.balancer;

import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.lb.nodes.CheckTarget;
import dev.switchboard.lb.nodes.HealthOptions;
import dev.switchboard.lb.nodes.NodeHealth;
import dev.switchboard.v1.Node;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The nodes as backends of a service port: every node is an endpoint (its address and the port's
 * NodePort), usable when it is ready (its agent holds a stream) and passes its checks:
 *
 * <ul>
 *   <li>externalTrafficPolicy Local: the node's healthCheckNodePort answers 200 (it has local
 *       endpoints);
 *   <li>Cluster, TCP: the NodePort accepts connections;
 *   <li>Cluster, UDP: readiness only (a UDP port cannot be probed by connecting);
 * </ul>
 *
 * and it is not passively ejected.
 *
 * <p>Readiness is the control plane's word, and the control plane can be wrong all at once: a
 * replica that restarted after an outage, or lost etcd, may say every node is gone while every node
 * forwards. When at least {@link HealthOptions#unreadyNodesThreshold} of the nodes are not ready at
 * once, readiness is ignored and the checks alone decide ("full disruption", as Kubernetes' node
 * lifecycle controller calls it); below that share a node turning not ready is dropped at once.
 *
 * <p>When no ready node passes (every check failing, or none has passed yet — a check starts out
 * failed), every ready node is used: "panic", as Envoy does below its panic threshold. Refusing
 * every client can only be worse than trying nodes whose agents still hold their streams, and a
 * refused connect is still retried on another node. Stateless.
 */
final class NodeBackends {
  private NodeBackends() {}

  /**
   * A node with a usable address.
   *
   * @param ready whether the node counts as ready: the control plane says so, or readiness is
   *     ignored
   */
  record NodeAddress(String name, InetAddress address, boolean ready) {}

  /**
   * The nodes of one sync.
   *
   * @param notReady how many the control plane says are not ready
   * @param readinessIgnored whether that is so many that every node counts as ready
   */
  record Nodes(List<NodeAddress> list, int notReady, boolean readinessIgnored) {}

  /**
   * The nodes with a valid IPv4 address, by name; {@code errors} gets one line per other node. When
   * at least {@code unreadyThreshold} of them are not ready, every one counts as ready.
   */
  static Nodes nodes(Collection<Node> nodes, double unreadyThreshold, List<String> errors) {
    List<NodeAddress> out = new ArrayList<>();
    int notReady = 0;
    for (Node n : nodes) {
      String name = n.getMetadata().getName();
      Optional<InetAddress> ip = IpLiterals.ipv4(n.getAddress());
      if (ip.isEmpty()) {
        errors.add(
            "node " + name + ": address: \"" + n.getAddress() + "\" (expected: an IPv4 address)");
        continue;
      }
      out.add(new NodeAddress(name, ip.get(), n.getReady()));
      notReady += n.getReady() ? 0 : 1;
    }
    boolean ignored = notReady > 0 && notReady >= unreadyThreshold * out.size();
    if (ignored) {
      out.replaceAll(n -> new NodeAddress(n.name(), n.address(), true));
    }
    out.sort(Comparator.comparing(NodeAddress::name));
    return new Nodes(List.copyOf(out), notReady, ignored);
  }

  /** The active check that decides whether the node serves this port, or null for none. */
  static CheckTarget check(ServicePlan plan, ServicePlan.PortPlan port, NodeAddress node) {
    if (plan.localPolicy()) {
      return new CheckTarget(
          node.name(),
          new InetSocketAddress(node.address(), plan.healthCheckNodePort()),
          CheckTarget.Kind.HTTP);
    }
    if (port.protocol() == Protocol.TCP) {
      return new CheckTarget(
          node.name(),
          new InetSocketAddress(node.address(), port.nodePort()),
          CheckTarget.Kind.TCP);
    }
    return null;
  }

  /** Whether the node serves the port on its own merits: ready, passing its check, not ejected. */
  static boolean usable(
      ServicePlan plan, ServicePlan.PortPlan port, NodeAddress n, NodeHealth health) {
    if (!n.ready()) {
      return false;
    }
    CheckTarget t = check(plan, port, n);
    return (t == null || health.up(t))
        && !health.ejected(new InetSocketAddress(n.address(), port.nodePort()));
  }

  /**
   * Every node as an endpoint of the port, ready exactly when usable (or, in panic, when ready). On
   * the health's executor.
   */
  static List<Endpoint> endpoints(
      ServicePlan plan, ServicePlan.PortPlan port, List<NodeAddress> nodes, NodeHealth health) {
    boolean[] usable = new boolean[nodes.size()];
    boolean any = false;
    for (int i = 0; i < nodes.size(); i++) {
      usable[i] = usable(plan, port, nodes.get(i), health);
      any |= usable[i];
    }
    List<Endpoint> out = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      NodeAddress n = nodes.get(i);
      boolean use = any ? usable[i] : n.ready();
      out.add(new Endpoint(n.address(), port.nodePort(), use, use, false, Optional.of(n.name())));
    }
    return out;
  }
}
