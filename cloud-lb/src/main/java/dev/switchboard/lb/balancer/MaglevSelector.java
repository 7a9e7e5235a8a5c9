package dev.switchboard.lb.balancer;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Set;

/**
 * Chooses a node for a client, in two Maglev tiers, so that a node going out moves only its own
 * clients:
 *
 * <ol>
 *   <li>a table over every known node (membership, which changes only when a node object is added
 *       or deleted, not when one fails): a client whose node there is usable goes to it;
 *   <li>a table over the usable nodes: the clients of an unusable node are spread over it.
 * </ol>
 *
 * Plain Maglev over the usable nodes alone also moves a few clients that were on healthy nodes at
 * each change (0.2-0.6% with 10 nodes and M = 65537, measured: see MaglevSelectorTest), because the
 * fill order changes; tier 1 never changes on failures, so those clients stay. Both tiers are pure
 * functions of the node names, so every replica chooses the same node for the same client.
 *
 * <p>Immutable.
 */
public final class MaglevSelector {
  private final MaglevTable members;
  private final MaglevTable usable;
  private final Set<String> usableNames;

  public MaglevSelector(MaglevTable members, MaglevTable usable) {
    this.members = members;
    this.usable = usable;
    this.usableNames = Set.copyOf(usable.backends());
  }

  public static MaglevSelector of(
      Collection<String> members, Collection<String> usable, MaglevTables tables) {
    return new MaglevSelector(tables.get(members), tables.get(usable));
  }

  /** The node for this client, or null when no node is usable. */
  public String select(InetAddress client) {
    long key = MaglevTable.clientKey(client);
    String first = members.lookup(key);
    if (first != null && usableNames.contains(first)) {
      return first;
    }
    return usable.lookup(key);
  }

  /**
   * For a retry after {@code excluded} refused: the usable node not excluded that ranks highest for
   * this client by rendezvous hashing (deterministic, and spreads one dead node's clients evenly).
   */
  public String selectExcluding(InetAddress client, Set<String> excluded) {
    if (excluded.isEmpty()) {
      return select(client);
    }
    byte[] address = client.getAddress();
    String best = null;
    long bestScore = 0;
    for (String name :
        usable.backends()) { // sorted: ties, however unlikely, break alike everywhere
      if (excluded.contains(name)) {
        continue;
      }
      byte[] n = name.getBytes(StandardCharsets.UTF_8);
      byte[] both = ByteBuffer.allocate(address.length + n.length).put(address).put(n).array();
      long score = Hash64.hash(both, Hash64.CLIENT_SEED);
      if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
        best = name;
        bestScore = score;
      }
    }
    return best;
  }

  public Set<String> usable() {
    return usableNames;
  }
}
