package dev.switchboard.agent.nft;

import static dev.switchboard.agent.nft.NftRuleset.TABLE;

import dev.switchboard.discovery.client.ServiceName;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code nft -f} batches that bring the kernel's table from one state to another. Each batch is
 * one netlink transaction: applied whole or not at all. Pure text, for tests to compare.
 */
public final class NftBatch {
  private NftBatch() {}

  /**
   * A batch that changes nothing and fails (nft: "No such file or directory") when the table is
   * gone. Adding a chain that exists is a no-op that costs ~20 ms at 40,000 chains; any {@code
   * list} command makes nft read the whole table first (seconds at that size).
   */
  public static String probe() {
    return "add chain ip " + TABLE + " services\n";
  }

  /** The batch that removes the table (and nothing else) whether it exists or not. */
  public static String delete() {
    return "add table ip " + TABLE + "\ndelete table ip " + TABLE + "\n";
  }

  /**
   * The batch that replaces the table with {@code rendered} in one transaction, from nothing known:
   * what the kernel holds (ClientIP affinity entries too) is dropped first.
   */
  public static String replace(NftRuleset.Rendered rendered) {
    return replace(rendered.table());
  }

  /** As {@link #replace(NftRuleset.Rendered)}, for a table's text from {@link NftTable#table}. */
  public static String replace(String table) {
    return delete() + table;
  }

  /** {@link #incremental} over every service of either, with the shared entries that differ. */
  public static String incremental(NftRuleset.Rendered applied, NftRuleset.Rendered next) {
    Set<ServiceName> services = new TreeSet<>(applied.fragments().keySet());
    services.addAll(next.fragments().keySet());
    Set<String> before = NftTable.hairpins(applied.fragments().values());
    Set<String> after = NftTable.hairpins(next.fragments().values());
    Set<String> added = new TreeSet<>(after);
    added.removeAll(before);
    Set<String> removed = new TreeSet<>(before);
    removed.removeAll(after);
    return incremental(
        applied.fragments(),
        next.fragments(),
        services,
        added,
        removed,
        NftTable.modSets(applied.fragments().values()),
        NftTable.modSets(next.fragments().values()));
  }

  /**
   * The batch that turns the kernel's table, whose share of {@code services} is {@code applied},
   * into one whose share is {@code next}, in one transaction, touching only what differs: set and
   * map entries that went or changed are deleted, chains whose rules changed are flushed and
   * written again, chains that went are flushed and deleted, new chains and entries are added,
   * affinity sets come and go with their endpoints (and are made again when their timeout changes),
   * and a per-count set comes and goes with the first and last port of that endpoint count (with
   * the rule in {@code services} or {@code nodeports} that reads it). Everything else, ClientIP
   * affinity entries included, is left alone. "" when nothing differs. It fails (nft: "No such file
   * or directory") when the table is not what {@code applied} says; then {@link #replace} repairs
   * it.
   *
   * @param applied the services' shares now (absent: none)
   * @param next the services' shares wanted (absent: none)
   * @param hairpinAdded {@code @hairpin} entries no service had and one now has (shared by services
   *     with a common endpoint, so the caller counts them)
   * @param hairpinRemoved {@code @hairpin} entries that no service has any more
   * @param modSetsBefore the per-count sets in use in the whole table now
   * @param modSetsAfter the per-count sets in use in the whole table wanted
   */
  public static String incremental(
      Map<ServiceName, NftRuleset.Fragment> applied,
      Map<ServiceName, NftRuleset.Fragment> next,
      Collection<ServiceName> services,
      Set<String> hairpinAdded,
      Set<String> hairpinRemoved,
      Set<String> modSetsBefore,
      Set<String> modSetsAfter) {
    StringBuilder deletes = new StringBuilder();
    StringBuilder flushes = new StringBuilder();
    StringBuilder removals = new StringBuilder();
    StringBuilder block = new StringBuilder();
    StringBuilder adds = new StringBuilder();
    boolean any = !hairpinAdded.isEmpty() || !hairpinRemoved.isEmpty();
    for (ServiceName service : new TreeSet<>(services)) {
      NftRuleset.Fragment before = applied.getOrDefault(service, NftRuleset.Fragment.EMPTY);
      NftRuleset.Fragment after = next.getOrDefault(service, NftRuleset.Fragment.EMPTY);
      if (before.equals(after)) {
        continue;
      }
      any = true;
      Set<String> maps = new TreeSet<>(before.elements().keySet());
      maps.addAll(after.elements().keySet());
      for (String map : maps) {
        Map<String, String> old = before.elements(map);
        Map<String, String> neu = after.elements(map);
        old.forEach(
            (element, value) -> {
              if (!value.equals(neu.get(element))) {
                deletes
                    .append("delete element ip ")
                    .append(TABLE)
                    .append(' ')
                    .append(map)
                    .append(" { ")
                    .append(element)
                    .append(" }\n");
              }
            });
        neu.forEach(
            (element, value) -> {
              if (!value.equals(old.get(element))) {
                adds.append("add element ip ")
                    .append(TABLE)
                    .append(' ')
                    .append(map)
                    .append(" { ")
                    .append(NftTable.element(element, value))
                    .append(" }\n");
              }
            });
      }
      before
          .chains()
          .forEach(
              (chain, rules) -> {
                if (!rules.equals(after.chains().get(chain))) {
                  flushes
                      .append("flush chain ip ")
                      .append(TABLE)
                      .append(' ')
                      .append(chain)
                      .append('\n');
                }
                if (!after.chains().containsKey(chain)) {
                  removals
                      .append("delete chain ip ")
                      .append(TABLE)
                      .append(' ')
                      .append(chain)
                      .append('\n');
                }
              });
      before
          .affinitySets()
          .forEach(
              (set, timeout) -> {
                if (!timeout.equals(after.affinitySets().get(set))) {
                  removals
                      .append("delete set ip ")
                      .append(TABLE)
                      .append(' ')
                      .append(set)
                      .append('\n');
                }
              });
      after
          .affinitySets()
          .forEach(
              (set, timeout) -> {
                if (!timeout.equals(before.affinitySets().get(set))) {
                  NftTable.affinitySet(block, set, timeout);
                }
              });
      after
          .chains()
          .forEach(
              (chain, rules) -> {
                if (!rules.equals(before.chains().get(chain))) {
                  NftTable.chain(block, chain, null, rules.toArray(String[]::new));
                }
              });
    }
    boolean countsChanged = !modSetsBefore.equals(modSetsAfter);
    if (!any && !countsChanged) {
      return "";
    }
    if (countsChanged) {
      for (String chain : List.of("services", "nodeports")) {
        List<String> was = sharedRules(chain, modSetsBefore);
        List<String> will = sharedRules(chain, modSetsAfter);
        if (!was.equals(will)) {
          flushes.append("flush chain ip ").append(TABLE).append(' ').append(chain).append('\n');
          NftTable.chain(block, chain, null, will.toArray(String[]::new));
        }
      }
      for (String set : modSetsBefore) {
        if (!modSetsAfter.contains(set)) {
          for (String what : List.of("chain ", "map ", "set ")) {
            removals
                .append("delete ")
                .append(what)
                .append("ip ")
                .append(TABLE)
                .append(' ')
                .append(what.equals("map ") ? NftRuleset.endpointMap(set) : set)
                .append('\n');
          }
        }
      }
      // A new count's set, endpoint map and chain, before the chains that go to it.
      StringBuilder sets = new StringBuilder();
      for (String set : modSetsAfter) {
        if (!modSetsBefore.contains(set)) {
          sets.append("  set ")
              .append(set)
              .append(" {\n    ")
              .append(NftTable.setType(set))
              .append("\n  }\n  map ")
              .append(NftRuleset.endpointMap(set))
              .append(" {\n    ")
              .append(NftTable.endpointMapType(set))
              .append("\n  }\n");
          NftTable.chain(sets, set, null, NftTable.modRule(set));
        }
      }
      block.insert(0, sets);
    }
    for (String pair : new TreeSet<>(hairpinRemoved)) {
      deletes
          .append("delete element ip ")
          .append(TABLE)
          .append(" hairpin { ")
          .append(pair)
          .append(" }\n");
    }
    for (String pair : new TreeSet<>(hairpinAdded)) {
      adds.append("add element ip ")
          .append(TABLE)
          .append(" hairpin { ")
          .append(pair)
          .append(" }\n");
    }
    StringBuilder out = new StringBuilder().append(deletes).append(flushes).append(removals);
    if (block.length() > 0) {
      out.append("table ip ").append(TABLE).append(" {\n").append(block).append("}\n");
    }
    return out.append(adds).toString();
  }

  private static List<String> sharedRules(String chain, Set<String> modSets) {
    return chain.equals("services")
        ? NftTable.servicesRules(modSets)
        : NftTable.nodeportsRules(modSets);
  }
}
