package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.Ipv4;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rules for the endpoints registered by hand for a selector-less service (an external database
 * behind a service name), after Kubernetes' Endpoints and EndpointSlice rules: named after the
 * service, each address an IPv4 address listed once, each port valid.
 *
 * <p>Loopback addresses are allowed, unlike Kubernetes: local mode runs everything on 127/8.
 */
public final class EndpointsValidator {

  /** Every problem with explicit (defaulted) endpoints. */
  public List<FieldError> validate(Endpoints endpoints) {
    List<FieldError> errs = MetaRules.objectMeta(endpoints.getMetadata(), NameRules::dns1035Label);
    Set<String> addresses = new HashSet<>();
    for (int i = 0; i < endpoints.getEndpointsCount(); i++) {
      Endpoint e = endpoints.getEndpoints(i);
      String path = "endpoints[" + i + "]";
      if (e.getAddress().isEmpty()) {
        errs.add(FieldError.required(path + ".address", ""));
      } else if (Ipv4.parse(e.getAddress()).isEmpty()) {
        errs.add(
            FieldError.invalid(path + ".address", e.getAddress(), "must be a valid IPv4 address"));
      } else if (!addresses.add(e.getAddress())) {
        errs.add(FieldError.duplicate(path + ".address", e.getAddress()));
      }
      if (!e.getNodeName().isEmpty()) {
        for (String msg : NameRules.dns1123Subdomain(e.getNodeName())) {
          errs.add(FieldError.invalid(path + ".nodeName", e.getNodeName(), msg));
        }
      }
      if (!e.getPodName().isEmpty()) {
        errs.add(
            FieldError.forbidden(
                path + ".podName", "may not be set for explicitly registered endpoints"));
      }
      ports(e.getPortsList(), path, errs);
    }
    return errs;
  }

  /** Throws a {@link ValidationException} listing every problem of {@link #validate}. */
  public void requireValid(Endpoints endpoints) {
    ValidationException.throwIfAny(
        "Endpoints", endpoints.getMetadata().getName(), validate(endpoints));
  }

  private static void ports(List<EndpointPort> ports, String endpointPath, List<FieldError> errs) {
    Set<String> names = new HashSet<>();
    for (int j = 0; j < ports.size(); j++) {
      EndpointPort port = ports.get(j);
      String path = endpointPath + ".ports[" + j + "]";
      if (ports.size() > 1 && port.getName().isEmpty()) {
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
      ServicePortRules.protocol(port.getProtocol(), path + ".protocol", errs);
      if (!port.getAppProtocol().isEmpty()) {
        for (String msg : NameRules.qualifiedName(port.getAppProtocol())) {
          errs.add(FieldError.invalid(path + ".appProtocol", port.getAppProtocol(), msg));
        }
      }
    }
  }
}
