package dev.switchboard.forwarder.internal;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.SessionAffinity;
import dev.switchboard.forwarder.pick.ClientIpAffinityPicker;
import dev.switchboard.forwarder.pick.EndpointPicker;
import dev.switchboard.forwarder.pick.EndpointSet;
import dev.switchboard.forwarder.pick.RandomPicker;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A listener's current endpoint set and picker. Confined to the listener's event loop: built there,
 * updated there, picked from there. Keeping it on one thread is what lets pickers hold plain
 * mutable state (the affinity table) without locks. The one exception: a stateless picker (uniform
 * random, no affinity) may pick on any thread ({@link #statelessPicker}), so that a per-request
 * mode does not hop to the listener's loop and back for each request.
 */
public final class Targeting {
  private final Supplier<EndpointPicker> pickerFactory;

  /** Written on the listener's loop; volatile for picks with {@link #statelessPicker} elsewhere. */
  private volatile EndpointSet endpoints = EndpointSet.EMPTY;

  private SessionAffinity affinity;
  private EndpointPicker picker;

  /** The picker when it keeps no state (a {@link RandomPicker} without affinity), else null. */
  private volatile EndpointPicker stateless;

  public Targeting(Supplier<EndpointPicker> pickerFactory) {
    this.pickerFactory = pickerFactory;
  }

  /** Applies a target; {@code set} is {@code target}'s endpoints, prepared off the loop. */
  public void apply(ServiceTarget target, EndpointSet set) {
    endpoints = set;
    SessionAffinity a = target.affinity();
    if (picker == null || affinity.type() != a.type()) {
      EndpointPicker base = Checks.notNull(pickerFactory.get(), "picker factory result");
      picker =
          a.type() == SessionAffinity.Type.CLIENT_IP
              ? new ClientIpAffinityPicker(base, a.timeout())
              : base;
    } else if (a.type() == SessionAffinity.Type.CLIENT_IP
        && !a.timeout().equals(affinity.timeout())) {
      ((ClientIpAffinityPicker) picker).timeout(a.timeout());
    }
    affinity = a;
    stateless = picker instanceof RandomPicker ? picker : null;
  }

  public EndpointSet endpoints() {
    return endpoints;
  }

  public Endpoint pick(InetSocketAddress client, Set<InetSocketAddress> excluded) {
    return picker.pick(endpoints, client, excluded);
  }

  /**
   * The picker when it keeps no state (uniform random, no affinity), else null: any thread may then
   * pick with it over {@link #endpoints()} (an update racing with it is seen now or at the next
   * pick).
   */
  public EndpointPicker statelessPicker() {
    return stateless;
  }
}
