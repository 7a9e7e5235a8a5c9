package dev.switchboard.agent.state;

import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Service;

/**
 * Everything the proxier needs about one service: the service and its endpoints, either of which
 * may be absent (endpoints can arrive before or after their service). Compared by value, so a
 * change that ends where it started is recognised as a no-op.
 *
 * @param service null when the agent holds no such service
 * @param endpoints null when the agent holds no endpoints for it
 */
public record ServiceView(Service service, Endpoints endpoints) {

  public static final ServiceView ABSENT = new ServiceView(null, null);

  public boolean isAbsent() {
    return service == null && endpoints == null;
  }
}
