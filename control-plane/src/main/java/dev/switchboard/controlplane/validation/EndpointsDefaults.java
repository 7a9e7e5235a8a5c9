package dev.switchboard.controlplane.validation;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;

/** Defaults for explicitly registered endpoints, as the other objects get them. */
public final class EndpointsDefaults {
  private EndpointsDefaults() {}

  /** Namespace "default", port protocol TCP. */
  public static Endpoints apply(Endpoints endpoints) {
    Endpoints.Builder b = endpoints.toBuilder();
    if (b.getMetadata().getNamespace().isEmpty()) {
      b.getMetadataBuilder().setNamespace(ServiceDefaults.DEFAULT_NAMESPACE);
    }
    for (Endpoint.Builder e : b.getEndpointsBuilderList()) {
      for (EndpointPort.Builder p : e.getPortsBuilderList()) {
        if (p.getProtocol().isEmpty()) {
          p.setProtocol("TCP");
        }
      }
    }
    return b.build();
  }
}
