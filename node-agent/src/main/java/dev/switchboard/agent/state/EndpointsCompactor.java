package dev.switchboard.agent.state;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import java.util.HashMap;
import java.util.Map;

/**
 * Shrinks the endpoints the agent keeps. At 10,000 services an agent holds 100,000 endpoints, and
 * as parsed each carries six strings of its own (address, node, pod, port name, protocol, app
 * protocol) and its own conditions and port messages: over half of the agent's heap. The agent
 * never reads the pod name, so it is dropped; node names, port names and protocols are the same few
 * values over and over, so one instance of each is shared, as are the conditions and port messages
 * (immutable). The result equals what came in but for the pod name, so comparing views still tells
 * a real change from a no-op.
 *
 * <p>Not thread-safe: confined to the agent's executor, with {@link ClusterState}.
 */
final class EndpointsCompactor {
  /** Distinct values kept for sharing; past it the table starts over (churning names). */
  static final int MAX_SHARED = 50_000;

  private final Map<Object, Object> shared = new HashMap<>();

  Endpoints compact(Endpoints endpoints) {
    Endpoints.Builder out = endpoints.toBuilder().clearEndpoints();
    for (Endpoint e : endpoints.getEndpointsList()) {
      Endpoint.Builder b =
          Endpoint.newBuilder()
              .setAddress(e.getAddress())
              .setNodeName(share(e.getNodeName()))
              .setConditions(share(e.getConditions()));
      for (EndpointPort p : e.getPortsList()) {
        b.addPorts(
            share(
                p.toBuilder()
                    .setName(share(p.getName()))
                    .setProtocol(share(p.getProtocol()))
                    .setAppProtocol(share(p.getAppProtocol()))
                    .build()));
      }
      out.addEndpoints(b);
    }
    return out.build();
  }

  @SuppressWarnings("unchecked")
  private <T> T share(T value) {
    Object known = shared.get(value);
    if (known != null) {
      return (T) known;
    }
    if (shared.size() >= MAX_SHARED) {
      shared.clear();
    }
    shared.put(value, value);
    return value;
  }

  /** Distinct values held for sharing, for tests. */
  int sharedCount() {
    return shared.size();
  }
}
