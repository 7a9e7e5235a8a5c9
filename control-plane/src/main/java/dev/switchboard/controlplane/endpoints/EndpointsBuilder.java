package dev.switchboard.controlplane.endpoints;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Computes a selector service's endpoints from pods, with the semantics of Kubernetes'
 * EndpointSlice controller, so that a Kubernetes user gets the endpoints they expect.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A pod is a candidate when it is in the service's namespace, its labels contain every
 *       selector pair, and it has an IP (a pod without an IP cannot be reached).
 *   <li>Conditions: {@code serving} = pod ready; {@code ready} = serving and not terminating;
 *       {@code terminating} as reported. With {@code publishNotReadyAddresses}, as in Kubernetes,
 *       {@code ready} and {@code serving} are true whatever the pod's state, and {@code
 *       terminating} is still reported.
 *   <li>Ports: each service port's targetPort is resolved per pod. A number is used as is (an unset
 *       or zero targetPort means the service port). A name is looked up among the pod's container
 *       ports with that name <em>and</em> the service port's protocol; when the pod has none, that
 *       service port is left out for that pod. A pod that serves none of the service's ports is
 *       left out altogether; a service with no ports at all (headless, for DNS only) lists every
 *       candidate pod with no ports.
 *   <li>Protocol "" means "TCP", on both sides.
 * </ul>
 *
 * <p>The output is canonical: endpoints sorted by pod name, ports in the service's port order,
 * metadata carrying only namespace and name. Equal inputs therefore give {@code equals} (and
 * byte-equal) results, which is what lets callers drop no-op updates.
 */
public final class EndpointsBuilder {

  /** Kubernetes' default protocol for service and container ports. */
  public static final String DEFAULT_PROTOCOL = "TCP";

  private static final Comparator<Pod> BY_NAME =
      Comparator.comparing((Pod p) -> p.getMetadata().getName())
          .thenComparing(p -> p.getStatus().getPodIp());

  private EndpointsBuilder() {}

  /**
   * Computes the endpoints of {@code service} from {@code pods}.
   *
   * @param service the service
   * @param pods pods to consider; pods of other namespaces or not matching the selector are
   *     ignored, so any superset of the matching pods gives the same answer
   * @return the endpoints, or empty when the service has no selector (its endpoints are registered
   *     explicitly and stored elsewhere)
   */
  public static Optional<Endpoints> build(Service service, Collection<Pod> pods) {
    Map<String, String> selector = service.getSpec().getSelectorMap();
    if (selector.isEmpty()) {
      return Optional.empty();
    }
    String namespace = service.getMetadata().getNamespace();
    List<Pod> matching = new ArrayList<>();
    for (Pod pod : pods) {
      if (namespace.equals(pod.getMetadata().getNamespace())
          && !pod.getStatus().getPodIp().isEmpty()
          && selects(selector, pod.getMetadata().getLabelsMap())) {
        matching.add(pod);
      }
    }
    matching.sort(BY_NAME);
    Endpoints.Builder out =
        Endpoints.newBuilder()
            .setMetadata(
                ObjectMeta.newBuilder()
                    .setNamespace(namespace)
                    .setName(service.getMetadata().getName()));
    for (Pod pod : matching) {
      toEndpoint(service.getSpec(), pod).ifPresent(out::addEndpoints);
    }
    return Optional.of(out.build());
  }

  /**
   * True when {@code selector} is non-empty and every one of its pairs is in {@code labels}. An
   * empty selector selects nothing: selector-less services do not take pods.
   */
  public static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    if (selector.isEmpty() || selector.size() > labels.size()) {
      return false;
    }
    for (Map.Entry<String, String> pair : selector.entrySet()) {
      if (!pair.getValue().equals(labels.get(pair.getKey()))) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when {@code a} and {@code b} give the same endpoints for any pods: same namespace, name,
   * selector, ports and publishNotReadyAddresses. Lets a service update that only touched other
   * fields (type, nodePort, status, resource version) skip recomputation.
   */
  public static boolean sameInputs(Service a, Service b) {
    ServiceSpec sa = a.getSpec();
    ServiceSpec sb = b.getSpec();
    return a.getMetadata().getNamespace().equals(b.getMetadata().getNamespace())
        && a.getMetadata().getName().equals(b.getMetadata().getName())
        && sa.getPublishNotReadyAddresses() == sb.getPublishNotReadyAddresses()
        && sa.getSelectorMap().equals(sb.getSelectorMap())
        && sa.getPortsList().equals(sb.getPortsList());
  }

  /** The endpoint for one matching pod, or empty when it serves none of the service's ports. */
  static Optional<Endpoint> toEndpoint(ServiceSpec spec, Pod pod) {
    boolean terminating = pod.getStatus().getTerminating();
    boolean publishNotReady = spec.getPublishNotReadyAddresses();
    boolean serving = publishNotReady || pod.getStatus().getReady();
    boolean ready = publishNotReady || (serving && !terminating);
    Endpoint.Builder endpoint =
        Endpoint.newBuilder()
            .setAddress(pod.getStatus().getPodIp())
            .setNodeName(pod.getSpec().getNodeName())
            .setPodName(pod.getMetadata().getName())
            .setConditions(
                EndpointConditions.newBuilder()
                    .setReady(ready)
                    .setServing(serving)
                    .setTerminating(terminating));
    for (ServicePort servicePort : spec.getPortsList()) {
      OptionalInt target = resolveTargetPort(servicePort, pod);
      if (target.isPresent()) {
        endpoint.addPorts(
            EndpointPort.newBuilder()
                .setName(servicePort.getName())
                .setPort(target.getAsInt())
                .setProtocol(protocol(servicePort.getProtocol()))
                .setAppProtocol(servicePort.getAppProtocol()));
      }
    }
    if (spec.getPortsCount() > 0 && endpoint.getPortsCount() == 0) {
      return Optional.empty();
    }
    return Optional.of(endpoint.build());
  }

  /**
   * The pod port a service port sends to, as Kubernetes' {@code FindPort}: a number as is, a name
   * through the pod's container ports of the same protocol; empty when the pod lacks it.
   */
  static OptionalInt resolveTargetPort(ServicePort servicePort, Pod pod) {
    IntOrString target = servicePort.getTargetPort();
    if (target.getValueCase() == IntOrString.ValueCase.STR_VALUE
        && !target.getStrValue().isEmpty()) {
      String name = target.getStrValue();
      String wantedProtocol = protocol(servicePort.getProtocol());
      for (Container container : pod.getSpec().getContainersList()) {
        for (ContainerPort port : container.getPortsList()) {
          if (name.equals(port.getName()) && wantedProtocol.equals(protocol(port.getProtocol()))) {
            return OptionalInt.of(port.getContainerPort());
          }
        }
      }
      return OptionalInt.empty();
    }
    if (target.getValueCase() == IntOrString.ValueCase.INT_VALUE && target.getIntValue() != 0) {
      return OptionalInt.of(target.getIntValue());
    }
    return OptionalInt.of(servicePort.getPort());
  }

  private static String protocol(String protocol) {
    return protocol.isEmpty() ? DEFAULT_PROTOCOL : protocol;
  }
}
