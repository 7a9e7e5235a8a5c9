package dev.switchboard.forwarder.pick;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Chooses the endpoint for a new TCP connection or UDP flow.
 *
 * <p>A picker belongs to one listener and is only ever called on that listener's event loop, so an
 * implementation may keep unsynchronised state (an affinity table, a Maglev lookup table cached per
 * {@link EndpointSet} instance).
 */
@FunctionalInterface
public interface EndpointPicker {

  /**
   * @param endpoints the listener's current set; pick among {@link EndpointSet#candidates()}
   * @param client the client's address (for affinity or hashing)
   * @param excluded addresses already tried for this connection, not to be picked again
   * @return the chosen candidate, or null when no candidate is left
   */
  Endpoint pick(EndpointSet endpoints, InetSocketAddress client, Set<InetSocketAddress> excluded);
}
