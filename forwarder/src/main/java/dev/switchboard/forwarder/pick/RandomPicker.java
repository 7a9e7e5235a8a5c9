package dev.switchboard.forwarder.pick;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Uniformly random among the candidates: what kube-proxy does. Stateless. */
public final class RandomPicker implements EndpointPicker {

  @Override
  public Endpoint pick(
      EndpointSet endpoints, InetSocketAddress client, Set<InetSocketAddress> excluded) {
    List<Endpoint> candidates = endpoints.candidates();
    int n = candidates.size();
    if (n == 0) {
      return null;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (excluded.isEmpty()) {
      return candidates.get(random.nextInt(n));
    }
    // Retries only: reservoir-sample the candidates not yet tried, without allocating.
    Endpoint chosen = null;
    int seen = 0;
    for (Endpoint e : candidates) {
      if (!excluded.contains(e.socketAddress()) && random.nextInt(++seen) == 0) {
        chosen = e;
      }
    }
    return chosen;
  }
}
