package dev.switchboard.controlplane.telemetry;

import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gauges read from the replica's state when metrics are collected (no bookkeeping on the write
 * path): endpoints per service (ready / not ready, as published to subscribers), subscribers per
 * role, and the published version.
 */
public final class ControlPlaneMetrics {
  private static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("namespace");
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service");
  private static final AttributeKey<String> CONDITION = AttributeKey.stringKey("condition");
  private static final AttributeKey<String> ROLE = AttributeKey.stringKey("role");

  private ControlPlaneMetrics() {}

  /**
   * @param subscriberRoles the role of each open Discovery stream (a supplier, so that telemetry
   *     depends on no discovery type: discovery traces through telemetry, not the reverse)
   */
  public static void register(
      Telemetry telemetry, PublishedState published, Supplier<Collection<Role>> subscriberRoles) {
    if (!telemetry.enabled()) {
      return;
    }
    Meter meter = telemetry.meter("dev.switchboard.controlplane");
    meter
        .gaugeBuilder("switchboard.service.endpoints")
        .ofLongs()
        .setDescription("Endpoints of each service as published, by condition (ready, not_ready)")
        .buildWithCallback(
            m -> {
              for (Resource r : published.all()) {
                if (!r.hasEndpoints()) {
                  continue;
                }
                Endpoints e = r.getEndpoints();
                long ready =
                    e.getEndpointsList().stream().filter(p -> p.getConditions().getReady()).count();
                long all = e.getEndpointsCount();
                String ns = e.getMetadata().getNamespace();
                String name = e.getMetadata().getName();
                m.record(ready, Attributes.of(NAMESPACE, ns, SERVICE, name, CONDITION, "ready"));
                m.record(
                    all - ready,
                    Attributes.of(NAMESPACE, ns, SERVICE, name, CONDITION, "not_ready"));
              }
            });
    meter
        .gaugeBuilder("switchboard.discovery.subscribers")
        .ofLongs()
        .setDescription("Discovery streams open on this replica, by role")
        .buildWithCallback(
            m -> {
              Map<Role, Long> counts = new EnumMap<>(Role.class);
              subscriberRoles.get().forEach(role -> counts.merge(role, 1L, Long::sum));
              counts.forEach((role, n) -> m.record(n, Attributes.of(ROLE, role.name())));
            });
    meter
        .gaugeBuilder("switchboard.published.version")
        .ofLongs()
        .setDescription("The etcd revision of the state this replica publishes")
        .buildWithCallback(m -> m.record(published.version()));
  }
}
