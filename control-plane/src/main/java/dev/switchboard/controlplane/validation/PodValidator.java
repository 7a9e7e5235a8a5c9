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
 * Pods as endpoints: name and namespace, labels, an IPv4 pod IP, a node name, and container
 * ports whose names a service's named targetPort can resolve (Kubernetes' rules and wording).
 */
public final class PodValidator {
  public void requireValid(Pod pod) {
    ValidationException.throwIfAny("Pod", pod.getMetadata().getName(), validate(pod));
  }

  public List<FieldError> validate(Pod pod) {
    List<FieldError> errs = new ArrayList<>(MetaRules.objectMeta(pod.getMetadata(),
        NameRules::dns1123Subdomain));
    String ip = pod.getStatus().getPodIp();
    if (ip.isEmpty()) {
      errs.add(FieldError.required("status.podIP", "a pod needs an address to be an endpoint"));
    } else if (Ipv4.parse(ip).isEmpty()) {
      errs.add(FieldError.invalid("status.podIP", ip, "must be a valid IPv4 address"));
    }
    String node = pod.getSpec().getNodeName();
    if (!node.isEmpty()) {
      for (String msg : NameRules.dns1123Subdomain(node)) {
        errs.add(FieldError.invalid("spec.nodeName", node, msg));
      }
    }
    Set<String> portNames = new HashSet<>();
    for (int c = 0; c < pod.getSpec().getContainersCount(); c++) {
      Container container = pod.getSpec().getContainers(c);
      String cpath = "spec.containers[" + c + "]";
      for (int p = 0; p < container.getPortsCount(); p++) {
        ContainerPort port = container.getPorts(p);
        String path = cpath + ".ports[" + p + "]";
        if (!port.getName().isEmpty()) {
          for (String msg : NameRules.portName(port.getName())) {
            errs.add(FieldError.invalid(path + ".name", port.getName(), msg));
          }
          if (!portNames.add(port.getName())) {
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
        if (!port.getProtocol().isEmpty() && !ServiceValidator.PROTOCOLS.contains(port.getProtocol())) {
          errs.add(FieldError.notSupported(path + ".protocol", port.getProtocol(),
              ServiceValidator.PROTOCOLS));
        }
      }
    }
    return errs;
  }
}
