package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.Ipv4;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.Pod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Kubernetes' pod rules for the fields a pod has here (an address with labels and named ports):
 * name an RFC 1123 subdomain, namespace a label, labels, nodeName, container names, container ports
 * ({@code validateContainerPorts}), readiness and startup probes ({@link ProbeRules}), and
 * status.podIP, which is required because a pod here is nothing but its address.
 *
 * <p>Port names are unique across the whole pod, not only per container as in Kubernetes: a
 * service's targetPort name must resolve to one port.
 */
public final class PodValidator {

  /** Every problem with a (defaulted, see {@link PodDefaults}) pod. */
  public List<FieldError> validate(Pod pod) {
    List<FieldError> errs = MetaRules.objectMeta(pod.getMetadata(), NameRules::dns1123Subdomain);
    String nodeName = pod.getSpec().getNodeName();
    if (!nodeName.isEmpty()) {
      for (String msg : NameRules.dns1123Subdomain(nodeName)) {
        errs.add(FieldError.invalid("spec.nodeName", nodeName, msg));
      }
    }
    Set<String> containerNames = new HashSet<>();
    Set<String> portNames = new HashSet<>();
    for (int i = 0; i < pod.getSpec().getContainersCount(); i++) {
      Container c = pod.getSpec().getContainers(i);
      String path = "spec.containers[" + i + "]";
      if (!c.getName().isEmpty()) {
        for (String msg : NameRules.dns1123Label(c.getName())) {
          errs.add(FieldError.invalid(path + ".name", c.getName(), msg));
        }
        if (!containerNames.add(c.getName())) {
          errs.add(FieldError.duplicate(path + ".name", c.getName()));
        }
      }
      for (int j = 0; j < c.getPortsCount(); j++) {
        containerPort(c.getPorts(j), path + ".ports[" + j + "]", portNames, errs);
      }
    }
    // After every port: a probe may name a port of another container (port names are pod-wide).
    for (int i = 0; i < pod.getSpec().getContainersCount(); i++) {
      Container c = pod.getSpec().getContainers(i);
      String path = "spec.containers[" + i + "]";
      if (c.hasReadinessProbe()) {
        ProbeRules.validate(
            c.getReadinessProbe(), path + ".readinessProbe", false, portNames, errs);
      }
      if (c.hasStartupProbe()) {
        ProbeRules.validate(c.getStartupProbe(), path + ".startupProbe", true, portNames, errs);
      }
    }
    String ip = pod.getStatus().getPodIp();
    if (ip.isEmpty()) {
      errs.add(FieldError.required("status.podIP", ""));
    } else if (Ipv4.parse(ip).isEmpty()) {
      errs.add(FieldError.invalid("status.podIP", ip, "must be a valid IPv4 address"));
    }
    return errs;
  }

  /** {@link #validate} of {@code updated}, plus: name and namespace are immutable. */
  public List<FieldError> validateUpdate(Pod old, Pod updated) {
    List<FieldError> errs = new ArrayList<>();
    errs.addAll(
        MetaRules.immutable(
            "metadata.name", updated.getMetadata().getName(), old.getMetadata().getName()));
    errs.addAll(
        MetaRules.immutable(
            "metadata.namespace",
            updated.getMetadata().getNamespace(),
            old.getMetadata().getNamespace()));
    errs.addAll(validate(updated));
    return errs;
  }

  /** Throws a {@link ValidationException} listing every problem of {@link #validate}. */
  public void requireValid(Pod pod) {
    ValidationException.throwIfAny("Pod", pod.getMetadata().getName(), validate(pod));
  }

  private static void containerPort(
      ContainerPort port, String path, Set<String> names, List<FieldError> errs) {
    if (!port.getName().isEmpty()) {
      List<String> msgs = NameRules.portName(port.getName());
      for (String msg : msgs) {
        errs.add(FieldError.invalid(path + ".name", port.getName(), msg));
      }
      if (msgs.isEmpty() && !names.add(port.getName())) {
        errs.add(FieldError.duplicate(path + ".name", port.getName()));
      }
    }
    if (port.getContainerPort() == 0) {
      errs.add(FieldError.required(path + ".containerPort", ""));
    } else {
      for (String msg : NameRules.portNumber(port.getContainerPort())) {
        errs.add(FieldError.invalid(path + ".containerPort", port.getContainerPort(), msg));
      }
    }
    ServicePortRules.protocol(port.getProtocol(), path + ".protocol", errs);
  }
}
