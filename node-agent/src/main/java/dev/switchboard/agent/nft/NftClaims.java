package dev.switchboard.agent.nft;

import dev.switchboard.discovery.client.ServiceName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which service owns each match key when several claim it (only in transient states: the control
 * plane hands out ClusterIPs, NodePorts and LB IPs once): the first by name, as a full render
 * sorted by name would decide. Kept up to date per changed service, so settling a change costs what
 * changed, not the table. Not thread-safe.
 */
public final class NftClaims {
  private final Map<String, TreeSet<ServiceName>> claimants = new HashMap<>();

  /**
   * Records that {@code service} claims what {@code next} claims instead of what {@code previous}
   * did (either may be null).
   *
   * @return every service whose owned entries may have changed, {@code service} included
   */
  public Set<ServiceName> update(
      ServiceName service, NftRuleset.Fragment previous, NftRuleset.Fragment next) {
    Set<ServiceName> affected = new HashSet<>();
    affected.add(service);
    Set<String> before = previous == null ? Set.of() : previous.claims().keySet();
    Set<String> after = next == null ? Set.of() : next.claims().keySet();
    for (String key : before) {
      if (!after.contains(key)) {
        TreeSet<ServiceName> who = claimants.get(key);
        if (who != null) {
          who.remove(service);
          affected.addAll(who);
          if (who.isEmpty()) {
            claimants.remove(key);
          }
        }
      }
    }
    for (String key : after) {
      if (!before.contains(key)) {
        TreeSet<ServiceName> who = claimants.computeIfAbsent(key, k -> new TreeSet<>());
        affected.addAll(who);
        who.add(service);
      }
    }
    return affected;
  }

  /**
   * {@code raw} without what other services own; each entry it loses is one line in {@code errors}.
   */
  public NftRuleset.Fragment effective(
      ServiceName service, NftRuleset.Fragment raw, List<String> errors) {
    Set<String> lost = new HashSet<>();
    raw.claims()
        .forEach(
            (key, listener) -> {
              ServiceName owner = claimants.get(key).first();
              if (!owner.equals(service)) {
                lost.add(key);
                errors.add(
                    listener
                        + ": not programmed: "
                        + key.substring(key.indexOf(' ') + 1)
                        + " is already taken by service "
                        + owner);
              }
            });
    return raw.without(lost);
  }
}
