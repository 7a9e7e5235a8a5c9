package dev.switchboard.agent.nft;

import dev.switchboard.agent.nft.NftRuleset.Fragment;
import dev.switchboard.discovery.client.ServiceName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The whole of {@code table ip switchboard} around the services' shares ({@link
 * NftRuleset#renderService}): the maps and sets every share puts its elements in, the per-count
 * sets and chains for the endpoint counts in use, the hooks (NAT, the no-endpoint check,
 * masquerade) and the affinity chains. {@link NftBatch} writes pieces of it by name (a count's set,
 * map and chain appear and go with the count); {@link #table} is the whole text, for a full sync.
 * Pure, as {@link NftRuleset}: the same fragments give the same text.
 */
final class NftTable {
  private NftTable() {}

  /** The whole table's text from every service's share (as {@link NftClaims#effective} left it). */
  public static String table(Map<ServiceName, Fragment> fragments) {
    Map<ServiceName, Fragment> sorted = new TreeMap<>(fragments);
    Set<String> modSets = modSets(sorted.values());
    StringBuilder out = new StringBuilder("table ip " + NftRuleset.TABLE + " {\n");
    map(out, NftRuleset.SERVICE_IPS, "type " + NftRuleset.ADDR_KEY + " : verdict", sorted);
    map(out, NftRuleset.SERVICE_NODEPORTS, "type " + NftRuleset.PORT_KEY + " : verdict", sorted);
    for (String set : modSets) {
      map(out, set, setType(set), sorted);
      map(out, NftRuleset.endpointMap(set), endpointMapType(set), sorted);
    }
    map(out, NftRuleset.MASQUERADE_IPS, "type " + NftRuleset.ADDR_KEY, sorted);
    map(out, NftRuleset.MASQUERADE_NODEPORTS, "type " + NftRuleset.PORT_KEY, sorted);
    map(out, NftRuleset.NO_ENDPOINT_SERVICES, "type " + NftRuleset.ADDR_KEY, sorted);
    map(out, NftRuleset.NO_ENDPOINT_NODEPORTS, "type " + NftRuleset.PORT_KEY, sorted);
    Map<String, Long> affinitySets = new TreeMap<>();
    Map<String, List<String>> chains = new TreeMap<>();
    sorted
        .values()
        .forEach(
            f -> {
              affinitySets.putAll(f.affinitySets());
              chains.putAll(f.chains());
            });
    affinitySets.forEach((set, timeout) -> affinitySet(out, set, timeout));
    out.append("  set hairpin {\n    type ipv4_addr . ipv4_addr\n");
    Set<String> hairpins = hairpins(sorted.values());
    if (!hairpins.isEmpty()) {
      out.append("    elements = { ").append(String.join(",\n      ", hairpins)).append(" }\n");
    }
    out.append("  }\n");
    String mark = "0x" + Integer.toHexString(NftRuleset.MASQUERADE_MARK);
    chain(
        out,
        NftRuleset.REJECT_CHAIN,
        null,
        "meta l4proto tcp reject with tcp reset",
        "reject with icmp type port-unreachable");
    chain(out, "mark-for-masquerade", null, "meta mark set meta mark | " + mark);
    // Hairpin: a pod that reached itself through its service must see the node as the source,
    // or it would answer itself directly and the client would drop the reply. One set entry
    // per endpoint address (as IPVS mode's KUBE-LOOP-BACK), not a rule per endpoint.
    chain(
        out,
        "masquerading",
        "type nat hook postrouting priority srcnat; policy accept;",
        "ct status dnat ip saddr . ip daddr @hairpin jump mark-for-masquerade",
        "meta mark & " + mark + " == 0 return",
        "meta mark set meta mark ^ " + mark,
        "masquerade fully-random");
    chain(out, "services", null, servicesRules(modSets).toArray(String[]::new));
    chain(out, "nodeports", null, nodeportsRules(modSets).toArray(String[]::new));
    modSets.forEach(set -> chain(out, set, null, modRule(set)));
    // After DNAT the address is an endpoint's: only what was not translated is checked.
    chain(
        out,
        "endpoints-check",
        null,
        "ct status dnat return",
        "ip daddr . meta l4proto . th dport @"
            + NftRuleset.NO_ENDPOINT_SERVICES
            + " goto "
            + NftRuleset.REJECT_CHAIN,
        NftRuleset.LOCAL_NOT_LOOPBACK
            + " meta l4proto . th dport @"
            + NftRuleset.NO_ENDPOINT_NODEPORTS
            + " goto "
            + NftRuleset.REJECT_CHAIN);
    chain(
        out,
        "nat-prerouting",
        "type nat hook prerouting priority dstnat; policy accept;",
        "jump services");
    // "dstnat" is refused as a priority name in the output hook: the number is the same.
    chain(out, "nat-output", "type nat hook output priority -100; policy accept;", "jump services");
    for (String hook : List.of("input", "forward", "output")) {
      chain(
          out,
          "filter-" + hook,
          "type filter hook " + hook + " priority -110; policy accept;",
          "ct state new jump endpoints-check");
    }
    chains.forEach((name, rules) -> chain(out, name, null, rules.toArray(String[]::new)));
    return out.append("}\n").toString();
  }

  /** Every per-count set with entries in {@code fragments}. */
  static Set<String> modSets(Collection<Fragment> fragments) {
    Set<String> all = new TreeSet<>(NftRuleset.MOD_SET_ORDER);
    fragments.forEach(f -> all.addAll(f.modSets()));
    return all;
  }

  /**
   * The rules of chain {@code services} (ClusterIPs and LoadBalancer IPs), for the per-count sets
   * in use: one {@code numgen} rule per endpoint count.
   */
  static List<String> servicesRules(Set<String> modSets) {
    List<String> rules =
        dispatchRules(
            "ip daddr . meta l4proto . th dport",
            NftRuleset.MASQUERADE_IPS,
            NftRuleset.SERVICE_IPS,
            NftRuleset.IPS_MOD,
            modSets);
    // NodePorts on every local address but loopback, as kube-proxy (127/8 needs route_localnet).
    rules.add(NftRuleset.LOCAL_NOT_LOOPBACK + " jump nodeports");
    return rules;
  }

  /** The rules of chain {@code nodeports}, as {@link #servicesRules}. */
  static List<String> nodeportsRules(Set<String> modSets) {
    return dispatchRules(
        "meta l4proto . th dport",
        NftRuleset.MASQUERADE_NODEPORTS,
        NftRuleset.SERVICE_NODEPORTS,
        NftRuleset.NODEPORTS_MOD,
        modSets);
  }

  /**
   * Matching {@code key}: mark what {@code masquerade} holds, then the verdict map, then one {@code
   * goto} per per-count set of {@code modPrefix} in use.
   */
  private static List<String> dispatchRules(
      String key, String masquerade, String verdicts, String modPrefix, Set<String> modSets) {
    List<String> rules = new ArrayList<>();
    rules.add(key + " @" + masquerade + " " + markForMasquerade());
    rules.add(key + " vmap @" + verdicts);
    for (String set : modSets) {
      if (set.startsWith(modPrefix)) {
        rules.add(key + " @" + set + " goto " + set);
      }
    }
    return rules;
  }

  private static String markForMasquerade() {
    return "meta mark set meta mark | 0x" + Integer.toHexString(NftRuleset.MASQUERADE_MARK);
  }

  /** The declaration of a per-count set. */
  static String setType(String modSet) {
    return "type "
        + (modSet.startsWith(NftRuleset.IPS_MOD) ? NftRuleset.ADDR_KEY : NftRuleset.PORT_KEY);
  }

  /**
   * The one rule of a per-count chain: {@code numgen} picks index k of N, the port and k look up
   * the endpoint. It is written only together with its map (the batch's declaration of the map
   * types the rule: nft 1.0.6 cannot type a rule against such a map as it reads it back from the
   * kernel).
   */
  static String modRule(String modSet) {
    return "dnat ip to "
        + (modSet.startsWith(NftRuleset.IPS_MOD) ? "ip daddr . " : "")
        + "meta l4proto . th dport . numgen random mod "
        + NftRuleset.modulus(modSet)
        + " map @"
        + NftRuleset.endpointMap(modSet);
  }

  /** An endpoint map's declaration: {@code numgen}'s index joins the key (typeof: its type). */
  static String endpointMapType(String modSet) {
    return "typeof "
        + (modSet.startsWith(NftRuleset.IPS_MOD) ? "ip daddr . " : "")
        + "meta l4proto . th dport . numgen random mod 1 : ip daddr . th dport";
  }

  /**
   * The {@code @hairpin} entries ({@code ip . ip}) of every endpoint address in {@code fragments}.
   */
  static Set<String> hairpins(Collection<Fragment> fragments) {
    Set<String> all = new TreeSet<>();
    fragments.forEach(f -> f.endpointIps().forEach(ip -> all.add(hairpin(ip))));
    return all;
  }

  /** The {@code @hairpin} entry of one endpoint address. */
  static String hairpin(String ip) {
    return ip + " . " + ip;
  }

  static void affinitySet(StringBuilder out, String name, long timeoutSeconds) {
    out.append("  set ")
        .append(name)
        .append(" {\n")
        .append("    type ipv4_addr\n")
        .append("    flags dynamic,timeout\n")
        .append("    timeout ")
        .append(timeoutSeconds)
        .append("s\n")
        .append("  }\n");
  }

  /** A set or map ({@code declaration}: its {@code type …} or {@code typeof …} line). */
  private static void map(
      StringBuilder out, String name, String declaration, Map<ServiceName, Fragment> fragments) {
    boolean isMap = declaration.contains(" : ");
    out.append(isMap ? "  map " : "  set ")
        .append(name)
        .append(" {\n")
        .append("    ")
        .append(declaration)
        .append("\n");
    List<String> elements = new ArrayList<>();
    fragments
        .values()
        .forEach(
            f ->
                f.elements(name)
                    .forEach((element, value) -> elements.add(element(element, value))));
    if (!elements.isEmpty()) {
      out.append("    elements = {\n");
      for (int i = 0; i < elements.size(); i++) {
        out.append("      ").append(elements.get(i)).append(i + 1 < elements.size() ? ",\n" : "\n");
      }
      out.append("    }\n");
    }
    out.append("  }\n");
  }

  /**
   * One element as nft writes it: {@code key} in a set ({@code key comment "…"} when the value is a
   * {@link NftRuleset#comment}), {@code key : value} in a map.
   */
  static String element(String key, String value) {
    if (value.isEmpty()) {
      return key;
    }
    return value.startsWith("comment ") ? key + " " + value : key + " : " + value;
  }

  /** A chain; every rule on its own line (nft needs a newline or {@code ;} before the brace). */
  static void chain(StringBuilder out, String name, String base, String... rules) {
    out.append("  chain ").append(name).append(" {\n");
    if (base != null) {
      out.append("    ").append(base).append("\n");
    }
    for (String rule : rules) {
      out.append("    ").append(rule).append("\n");
    }
    out.append("  }\n");
  }
}
