package dev.switchboard.agent.proxier;

import java.util.List;
import java.util.Optional;

/**
 * What one service asks of this node: its listeners, its health check port, and what in it could
 * not be understood (reported in NACKs).
 */
public record ServicePlan(
    List<ListenerPlan> listeners, Optional<HealthCheckPlan> healthCheck, List<String> errors) {

  public static final ServicePlan NONE = new ServicePlan(List.of(), Optional.empty(), List.of());

  public ServicePlan {
    listeners = List.copyOf(listeners);
    errors = List.copyOf(errors);
  }
}
