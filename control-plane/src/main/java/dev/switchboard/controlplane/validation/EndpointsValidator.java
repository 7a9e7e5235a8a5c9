package dev.switchboard.controlplane.validation;

import dev.switchboard.controlplane.alloc.Ipv4;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import java.util.ArrayList;
import java.util.List;

/** Explicit endpoints of a selector-less service, as Kubernetes validates an EndpointSlice. */
public final class EndpointsValidator {
  public void requireValid(Endpoints endpoints) {
    ValidationException.throwIfAny("Endpoints", endpoints.getMetadata().getName(),
        validate(endpoints));
  }

  public List<FieldError> validate(Endpoints endpoints) {
    List<FieldError> errs = new ArrayList<>();
    for (int i = 0; i < endpoints.getEndpointsCount(); i++) {
      Endpoint e = endpoints.getEndpoints(i);
      String path = "endpoints[" + i + "]";
      if (e.getAddress().isEmpty()) {
        errs.add(FieldError.required(path + ".address", ""));
      } else if (Ipv4.parse(e.getAddress()).isEmpty()) {
        errs.add(FieldError.invalid(path + ".address", e.getAddress(), "must be a valid IPv4 address"));
      }
      if (!e.getNodeName().isEmpty()) {
        for (String msg : NameRules.dns1123Subdomain(e.getNodeName())) {
          errs.add(FieldError.invalid(path + ".nodeName", e.getNodeName(), msg));
        }
      }
      if (e.getPortsCount() == 0) {
        errs.add(FieldError.required(path + ".ports", "an endpoint must serve at least one port"));
      }
      for (int p = 0; p < e.getPortsCount(); p++) {
        EndpointPort port = e.getPorts(p);
        String ppath = path + ".ports[" + p + "]";
        if (!port.getName().isEmpty()) {
          for (String msg : NameRules.dns1123Label(port.getName())) {
            errs.add(FieldError.invalid(ppath + ".name", port.getName(), msg));
          }
        }
        for (String msg : NameRules.portNumber(port.getPort())) {
          errs.add(FieldError.invalid(ppath + ".port", port.getPort(), msg));
        }
        if (!port.getProtocol().isEmpty() && !ServiceValidator.PROTOCOLS.contains(port.getProtocol())) {
          errs.add(FieldError.notSupported(ppath + ".protocol", port.getProtocol(),
              ServiceValidator.PROTOCOLS));
        }
      }
    }
    return errs;
  }
}
