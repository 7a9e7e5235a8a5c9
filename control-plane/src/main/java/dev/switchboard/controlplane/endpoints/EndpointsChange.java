package dev.switchboard.controlplane.endpoints;

import dev.switchboard.v1.Endpoints;
import java.util.Objects;

/**
 * The derived endpoints of one service changed.
 *
 * @param namespace the service's namespace
 * @param service the service's name
 * @param endpoints the new endpoints, or {@code null} when the service no longer has derived
 *     endpoints (it was deleted, or its selector was removed, after which its endpoints are the
 *     ones registered for it explicitly, which this package does not manage)
 */
public record EndpointsChange(String namespace, String service, Endpoints endpoints) {

  public EndpointsChange {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(service, "service");
  }

  /** True when the service's derived endpoints are gone (see {@link #endpoints()}). */
  public boolean deleted() {
    return endpoints == null;
  }
}
