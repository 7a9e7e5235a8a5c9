package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.Allocation;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.controlplane.alloc.Protocol;
import dev.switchboard.controlplane.alloc.ServiceAllocations;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks on {@code spec.ports}, in Kubernetes' order; split out of {@link ServiceValidator}.
 */
final class ServicePortRules {
  /** A (port, protocol) pair, printed as kubectl prints ports: "80/TCP". */
  record PortAndProtocol(int port, String protocol) {
    @Override
    public String toString() {
      return port + "/" + protocol;
    }
  }

  private ServicePortRules() {}

  /**
   * Kubernetes' {@code validateServicePort} for each port: name, port, protocol, targetPort,
   * appProtocol.
   */
  static void eachPort(ServiceSpec spec, List<FieldError> errs) {
    Set<String> names = new HashSet<>();
    boolean requireName = spec.getPortsCount() > 1;
    for (int i = 0; i < spec.getPortsCount(); i++) {
      ServicePort port = spec.getPorts(i);
      String path = "spec.ports[" + i + "]";
      if (requireName && port.getName().isEmpty()) {
        errs.add(FieldError.required(path + ".name", ""));
      } else if (!port.getName().isEmpty()) {
        for (String msg : NameRules.dns1123Label(port.getName())) {
          errs.add(FieldError.invalid(path + ".name", port.getName(), msg));
        }
        if (!names.add(port.getName())) {
          errs.add(FieldError.duplicate(path + ".name", port.getName()));
        }
      }
      for (String msg : NameRules.portNumber(port.getPort())) {
        errs.add(FieldError.invalid(path + ".port", port.getPort(), msg));
      }
      protocol(port.getProtocol(), path + ".protocol", errs);
      targetPort(port.getTargetPort(), path + ".targetPort", errs);
      if (!port.getAppProtocol().isEmpty()) {
        for (String msg : NameRules.qualifiedName(port.getAppProtocol())) {
          errs.add(FieldError.invalid(path + ".appProtocol", port.getAppProtocol(), msg));
        }
      }
    }
  }

  /** Required, then TCP or UDP (SCTP is not forwarded here, so it is refused as unsupported). */
  static void protocol(String protocol, String path, List<FieldError> errs) {
    if (protocol.isEmpty()) {
      errs.add(FieldError.required(path, ""));
    } else if (Protocol.fromApiName(protocol).isEmpty()) {
      errs.add(FieldError.notSupported(path, protocol, ServiceValidator.PROTOCOLS));
    }
  }

  /** Kubernetes' {@code ValidatePortNumOrName}: a number 1..65535 or an IANA_SVC_NAME. */
  static void targetPort(IntOrString target, String path, List<FieldError> errs) {
    switch (target.getValueCase()) {
      case INT_VALUE -> {
        for (String msg : NameRules.portNumber(target.getIntValue())) {
          errs.add(FieldError.invalid(path, target.getIntValue(), msg));
        }
      }
      case STR_VALUE -> {
        for (String msg : NameRules.portName(target.getStrValue())) {
          errs.add(FieldError.invalid(path, target.getStrValue(), msg));
        }
      }
      case VALUE_NOT_SET -> errs.add(FieldError.required(path, ""));
    }
  }

  /**
   * nodePort: forbidden for ClusterIP services; otherwise in the configured range unless the
   * service already holds it; unique per protocol. Then (port, protocol) unique.
   */
  static void nodePortsAndDuplicates(
      ServiceSpec spec, PortRange range, ServiceAllocations held, List<FieldError> errs) {
    String type = spec.getType();
    for (int i = 0; i < spec.getPortsCount(); i++) {
      int nodePort = spec.getPorts(i).getNodePort();
      if (type.equals("ClusterIP") && nodePort != 0) {
        errs.add(
            FieldError.forbidden(
                "spec.ports[" + i + "].nodePort", "may not be used when `type` is 'ClusterIP'"));
      }
    }
    if (ServiceDefaults.needsNodePorts(type)) {
      for (int i = 0; i < spec.getPortsCount(); i++) {
        ServicePort port = spec.getPorts(i);
        if (port.getNodePort() != 0 && !isHeld(held, port) && !range.contains(port.getNodePort())) {
          errs.add(
              FieldError.invalid(
                  "spec.ports[" + i + "].nodePort", port.getNodePort(), notInRange(range)));
        }
      }
    }
    Set<PortAndProtocol> nodePorts = new HashSet<>();
    for (int i = 0; i < spec.getPortsCount(); i++) {
      ServicePort port = spec.getPorts(i);
      if (port.getNodePort() != 0
          && !nodePorts.add(new PortAndProtocol(port.getNodePort(), port.getProtocol()))) {
        errs.add(FieldError.duplicate("spec.ports[" + i + "].nodePort", port.getNodePort()));
      }
    }
    Set<PortAndProtocol> ports = new HashSet<>();
    for (int i = 0; i < spec.getPortsCount(); i++) {
      PortAndProtocol key =
          new PortAndProtocol(spec.getPorts(i).getPort(), spec.getPorts(i).getProtocol());
      if (!ports.add(key)) {
        errs.add(FieldError.duplicate("spec.ports[" + i + "]", key));
      }
    }
  }

  /** Kubernetes' allocator message for a requested port outside the range. */
  static String notInRange(PortRange range) {
    return "provided port is not in the valid range. The range of valid ports is " + range;
  }

  private static boolean isHeld(ServiceAllocations held, ServicePort port) {
    return Protocol.fromApiName(port.getProtocol())
        .map(p -> held.nodePorts().contains(new Allocation.NodePort(p, port.getNodePort())))
        .orElse(false);
  }
}
