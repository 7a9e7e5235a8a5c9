package dev.switchboard.agent.nft;

import dev.switchboard.agent.proxier.ListenerPlan;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.SessionAffinity;
import dev.switchboard.forwarder.pick.EndpointSet;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders the listeners the kernel serves as the text of one nftables table, {@code table ip
 * switchboard}, in the shape of kube-proxy's nftables mode. Pure: no I/O, the same input gives
 * the same text (sorted), tests compare strings, and each service's share is rendered on its own
 * ({@link #renderService}, a {@link Fragment}) so a sync renders and writes only the services
 * that changed ({@link #incrementalBatch}); {@link #table} assembles the whole table.
 *
 * <pre>
 *   nat-prerouting (dstnat) / nat-output (-100) → services
 *     services:  ip daddr . meta l4proto . th dport vmap @service-ips   (ClusterIPs, LB IPs)
 *                fib daddr type local … meta l4proto . th dport vmap @service-nodeports
 *   svc-NS/NAME/PROTO/PORT (ClusterIP) and ext-… (NodePort and LoadBalancer IP; marks for
 *   masquerade unless externalTrafficPolicy Local):
 *       [ip saddr @affinity-EP goto ep-EP …]  numgen random mod N vmap { 0 : goto ep-… }
 *   ep-NS/NAME/PROTO/PORT/IP/TPORT: hairpin mark, [update @affinity-EP], dnat to IP:TPORT
 *   filter-input / -forward / -output (-110) → endpoints-check: ports without endpoints
 *       (@no-endpoint-services, @no-endpoint-nodeports) → reject-chain (TCP reset, ICMP
 *       port unreachable): a clear "connection refused", never a hang
 *   masquerading (srcnat): what carries the mark
 * </pre>
 *
 * <p>Endpoints: the forwarder's rule ({@link EndpointSet#candidates()}): ready ones; the serving
 * terminating ones only when none is ready. Masquerade: NodePort traffic of a Cluster policy
 * (the endpoint may be on another node, so its reply must come back through this one) and
 * hairpin traffic (a pod reaching itself through its service); ClusterIP traffic keeps its
 * source, as kube-proxy does without a cluster CIDR. IPv4 only (the table's family is {@code ip}):
 * IPv6 ClusterIPs and endpoints are reported, not programmed.
 */
public final class NftRuleset {
  /** The one table Switchboard owns; nothing else is touched. */
  public static final String TABLE = "switchboard";
  /** The packet mark bit that asks {@code masquerading} to masquerade (kube-proxy's bit). */
  public static final int MASQUERADE_MARK = 0x4000;

  private static final String REJECT_CHAIN = "reject-chain";
  private static final List<String> MAPS =
      List.of("service-ips", "service-nodeports", "no-endpoint-services", "no-endpoint-nodeports");
  private static final Comparator<ListenerPlan> ORDER = Comparator
      .comparing(ListenerPlan::service)
      .thenComparing(ListenerPlan::port)
      .thenComparing(ListenerPlan::kind)
      .thenComparing(l -> l.key().protocol())
      .thenComparing(l -> l.key().address().getHostAddress())
      .thenComparingInt(l -> l.key().port());

  /**
   * The whole table and what could not be programmed.
   *
   * @param table {@code table ip switchboard { … }}, for {@code nft -f}
   * @param errors one line per listener or endpoint left out, naming it and why
   * @param ports the listeners programmed (with or without endpoints)
   * @param fragments each service's share as programmed (conflicting entries left out)
   */
  public record Rendered(String table, List<String> errors, int ports, Map<ServiceName, Fragment> fragments) {
    public Rendered {
      errors = List.copyOf(errors);
      fragments = Map.copyOf(fragments);
    }

    /** Every affinity set and its timeout in seconds. */
    public Map<String, Long> affinitySets() {
      Map<String, Long> all = new TreeMap<>();
      fragments.values().forEach(f -> all.putAll(f.affinitySets()));
      return all;
    }
  }

  /**
   * One service's share of the table: what a change to that service adds, rewrites or removes.
   *
   * @param elements map name → element → verdict
   * @param chains chain name → rules (its port chains and endpoint chains)
   * @param affinitySets affinity set name → timeout in seconds
   * @param claims what it matches on ({@code addr 10.96.0.10 . tcp . 80}, {@code port tcp .
   *     30080}) → the listener it serves, for conflicts between services
   */
  public record Fragment(Map<String, Map<String, String>> elements, Map<String, List<String>> chains,
      Map<String, Long> affinitySets, Map<String, String> claims) {
    static final Fragment EMPTY = new Fragment(Map.of(), Map.of(), Map.of(), Map.of());

    public Fragment {
      Map<String, Map<String, String>> copy = new TreeMap<>();
      elements.forEach((map, els) -> copy.put(map, Collections.unmodifiableMap(new TreeMap<>(els))));
      elements = Collections.unmodifiableMap(copy);
      chains = Collections.unmodifiableMap(new TreeMap<>(chains));
      affinitySets = Collections.unmodifiableMap(new TreeMap<>(affinitySets));
      claims = Collections.unmodifiableMap(new TreeMap<>(claims));
    }

    Map<String, String> elements(String map) {
      return elements.getOrDefault(map, Map.of());
    }

    /** Service ports it programs (each claim is one map entry). */
    public int ports() {
      return claims.size();
    }

    /** The same without the map entries of {@code lost} claims (their chains stay, unreferenced). */
    Fragment without(Set<String> lost) {
      if (lost.isEmpty()) {
        return this;
      }
      Map<String, Map<String, String>> kept = new TreeMap<>();
      elements.forEach((map, els) -> {
        String family = map.equals("service-ips") || map.equals("no-endpoint-services") ? "addr " : "port ";
        Map<String, String> left = new TreeMap<>(els);
        left.keySet().removeIf(element -> lost.contains(family + element));
        kept.put(map, left);
      });
      Map<String, String> keptClaims = new TreeMap<>(claims);
      keptClaims.keySet().removeAll(lost);
      return new Fragment(kept, chains, affinitySets, keptClaims);
    }
  }

  /**
   * Which service owns each match key when several claim it (only in transient states: the
   * control plane hands out ClusterIPs, NodePorts and LB IPs once): the first by name, as a full
   * render sorted by name would decide. Kept up to date per changed service, so settling a
   * change costs what changed, not the table. Not thread-safe.
   */
  public static final class Claims {
    private final Map<String, TreeSet<ServiceName>> claimants = new HashMap<>();

    /**
     * Records that {@code service} claims what {@code next} claims instead of what
     * {@code previous} did (either may be null).
     *
     * @return every service whose owned entries may have changed, {@code service} included
     */
    public Set<ServiceName> update(ServiceName service, Fragment previous, Fragment next) {
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

    /** {@code raw} without what other services own; each entry it loses is one line in {@code errors}. */
    public Fragment effective(ServiceName service, Fragment raw, List<String> errors) {
      Set<String> lost = new HashSet<>();
      raw.claims().forEach((key, listener) -> {
        ServiceName owner = claimants.get(key).first();
        if (!owner.equals(service)) {
          lost.add(key);
          errors.add(listener + ": not programmed: " + key.substring(key.indexOf(' ') + 1)
              + " is already taken by service " + owner);
        }
      });
      return raw.without(lost);
    }
  }

  /** An endpoint chain, shared by a port's ClusterIP and NodePort chains. */
  private record EndpointChain(String ip, int port, String proto, long affinitySeconds) {}

  private NftRuleset() {}

  /**
   * A batch that changes nothing and fails (nft: "No such file or directory") when the table is
   * gone. Adding a chain that exists is a no-op that costs ~20 ms at 40,000 chains; any
   * {@code list} command makes nft read the whole table first (seconds at that size).
   */
  public static String probeBatch() {
    return "add chain ip " + TABLE + " services\n";
  }

  /** The batch that removes the table (and nothing else) whether it exists or not. */
  public static String deleteBatch() {
    return "add table ip " + TABLE + "\ndelete table ip " + TABLE + "\n";
  }

  /**
   * The batch that replaces the table with {@code rendered} in one transaction, from nothing
   * known: what the kernel holds (ClientIP affinity entries too) is dropped first.
   */
  public static String replaceBatch(Rendered rendered) {
    return replaceBatch(rendered.table());
  }

  /** As {@link #replaceBatch(Rendered)}, for a table's text from {@link #table}. */
  public static String replaceBatch(String table) {
    return deleteBatch() + table;
  }

  /** {@link #incrementalBatch(Map, Map, Collection)} over every service of either. */
  public static String incrementalBatch(Rendered applied, Rendered next) {
    Set<ServiceName> services = new TreeSet<>(applied.fragments().keySet());
    services.addAll(next.fragments().keySet());
    return incrementalBatch(applied.fragments(), next.fragments(), services);
  }

  /**
   * The batch that turns the kernel's table, whose share of {@code services} is {@code applied},
   * into one whose share is {@code next}, in one transaction, touching only what differs: map
   * entries that went or changed are deleted, chains whose rules changed are flushed and written
   * again, chains that went are flushed and deleted, new chains and entries are added, affinity
   * sets come and go with their endpoints (and are made again when their timeout changes).
   * Everything else, ClientIP affinity entries included, is left alone. "" when nothing
   * differs. It fails (nft: "No such file or directory") when the table is not what
   * {@code applied} says; then {@link #replaceBatch} repairs it.
   *
   * @param applied the services' shares now (absent: none)
   * @param next the services' shares wanted (absent: none)
   */
  public static String incrementalBatch(Map<ServiceName, Fragment> applied, Map<ServiceName, Fragment> next,
      Collection<ServiceName> services) {
    StringBuilder deletes = new StringBuilder();
    StringBuilder flushes = new StringBuilder();
    StringBuilder removals = new StringBuilder();
    StringBuilder block = new StringBuilder();
    StringBuilder adds = new StringBuilder();
    boolean any = false;
    for (ServiceName service : new TreeSet<>(services)) {
      Fragment before = applied.getOrDefault(service, Fragment.EMPTY);
      Fragment after = next.getOrDefault(service, Fragment.EMPTY);
      if (before.equals(after)) {
        continue;
      }
      any = true;
      for (String map : MAPS) {
        Map<String, String> old = before.elements(map);
        Map<String, String> neu = after.elements(map);
        old.forEach((element, verdict) -> {
          if (!verdict.equals(neu.get(element))) {
            deletes.append("delete element ip ").append(TABLE).append(' ').append(map)
                .append(" { ").append(element).append(" }\n");
          }
        });
        neu.forEach((element, verdict) -> {
          if (!verdict.equals(old.get(element))) {
            adds.append("add element ip ").append(TABLE).append(' ').append(map)
                .append(" { ").append(element).append(" : ").append(verdict).append(" }\n");
          }
        });
      }
      before.chains().forEach((chain, rules) -> {
        if (!rules.equals(after.chains().get(chain))) {
          flushes.append("flush chain ip ").append(TABLE).append(' ').append(chain).append('\n');
        }
        if (!after.chains().containsKey(chain)) {
          removals.append("delete chain ip ").append(TABLE).append(' ').append(chain).append('\n');
        }
      });
      before.affinitySets().forEach((set, timeout) -> {
        if (!timeout.equals(after.affinitySets().get(set))) {
          removals.append("delete set ip ").append(TABLE).append(' ').append(set).append('\n');
        }
      });
      after.affinitySets().forEach((set, timeout) -> {
        if (!timeout.equals(before.affinitySets().get(set))) {
          affinitySet(block, set, timeout);
        }
      });
      after.chains().forEach((chain, rules) -> {
        if (!rules.equals(before.chains().get(chain))) {
          chain(block, chain, null, rules.toArray(String[]::new));
        }
      });
    }
    if (!any) {
      return "";
    }
    StringBuilder out = new StringBuilder().append(deletes).append(flushes).append(removals);
    if (block.length() > 0) {
      out.append("table ip ").append(TABLE).append(" {\n").append(block).append("}\n");
    }
    return out.append(adds).toString();
  }

  /** Renders the table for {@code listeners} (the kernel's share of every service). */
  public static Rendered render(Collection<ListenerPlan> listeners) {
    Map<ServiceName, List<ListenerPlan>> byService = new TreeMap<>();
    for (ListenerPlan l : listeners) {
      byService.computeIfAbsent(l.service(), s -> new ArrayList<>()).add(l);
    }
    List<String> errors = new ArrayList<>();
    Claims claims = new Claims();
    Map<ServiceName, Fragment> raw = new TreeMap<>();
    byService.forEach((service, ls) -> {
      Fragment f = renderService(service, ls, errors);
      raw.put(service, f);
      claims.update(service, null, f);
    });
    Map<ServiceName, Fragment> effective = new TreeMap<>();
    int[] ports = {0};
    raw.forEach((service, f) -> {
      Fragment e = claims.effective(service, f, errors);
      effective.put(service, e);
      ports[0] += e.ports();
    });
    return new Rendered(table(effective), errors, ports[0], effective);
  }

  /**
   * One service's share, from its kernel listeners; what cannot be programmed (IPv6) is one line
   * each in {@code errors}. Whether another service claims the same entries is not known here
   * ({@link Claims}).
   */
  public static Fragment renderService(ServiceName service, Collection<ListenerPlan> listeners,
      List<String> errors) {
    List<ListenerPlan> sorted = new ArrayList<>(listeners);
    sorted.sort(ORDER);
    Map<String, Map<String, String>> elements = new TreeMap<>();
    Map<String, List<String>> chains = new TreeMap<>();
    Map<String, Long> affinitySets = new TreeMap<>();
    Map<String, String> claims = new TreeMap<>();
    Map<String, EndpointChain> endpointChains = new TreeMap<>();

    for (ListenerPlan l : sorted) {
      if (!l.service().equals(service)) {
        throw new IllegalArgumentException("listeners: " + l.describe() + " (expected: of service " + service + ")");
      }
      String proto = l.key().protocol() == Protocol.TCP ? "tcp" : "udp";
      boolean clusterIp = l.kind() == ListenerPlan.Kind.CLUSTER_IP;
      // ClusterIPs and LoadBalancer IPs are matched by address; NodePorts on any local address.
      boolean byAddress = l.kind() != ListenerPlan.Kind.NODE_PORT;
      String element;
      if (byAddress) {
        if (!(l.key().address() instanceof Inet4Address)) {
          errors.add(l.describe() + ": not programmed: nftables mode serves IPv4 only");
          continue;
        }
        element = l.key().address().getHostAddress() + " . " + proto + " . " + l.key().port();
      } else {
        element = proto + " . " + l.key().port();
      }
      String claim = (byAddress ? "addr " : "port ") + element;
      if (claims.containsKey(claim)) {
        errors.add(l.describe() + ": not programmed: " + element + " is already taken by another port");
        continue;
      }
      claims.put(claim, l.describe());

      String base = name(service.namespace()) + "/" + name(service.name()) + "/" + proto + "/" + name(l.port());
      List<Endpoint> candidates = new ArrayList<>();
      for (Endpoint e : new EndpointSet(l.target().endpoints()).candidates()) {
        if (e.ip() instanceof Inet4Address) {
          candidates.add(e);
        } else {
          errors.add(l.describe() + ": endpoint " + e.ip().getHostAddress() + " not programmed: "
              + "nftables mode serves IPv4 only");
        }
      }
      if (candidates.isEmpty()) {
        elements.computeIfAbsent(byAddress ? "no-endpoint-services" : "no-endpoint-nodeports",
            m -> new TreeMap<>()).put(element, "goto " + REJECT_CHAIN);
        continue;
      }
      String chain = (clusterIp ? "svc-" : "ext-") + base;
      elements.computeIfAbsent(byAddress ? "service-ips" : "service-nodeports", m -> new TreeMap<>())
          .put(element, "goto " + chain);

      SessionAffinity affinity = l.target().affinity();
      long affinitySeconds = affinity.type() == SessionAffinity.Type.CLIENT_IP
          ? Math.max(1, affinity.timeout().toSeconds()) : 0;
      List<String> rules = new ArrayList<>();
      if (!clusterIp && !l.localOnly()) {
        rules.add("jump mark-for-masquerade");
      }
      List<String> targets = new ArrayList<>();
      for (Endpoint e : candidates) {
        String ip = e.ip().getHostAddress();
        String endpointName = base + "/" + ip + "/" + e.port();
        endpointChains.put(endpointName, new EndpointChain(ip, e.port(), proto, affinitySeconds));
        targets.add("goto ep-" + endpointName);
        if (affinitySeconds > 0) {
          rules.add("ip saddr @affinity-" + endpointName + " goto ep-" + endpointName);
        }
      }
      StringBuilder vmap = new StringBuilder("numgen random mod " + targets.size() + " vmap { ");
      for (int i = 0; i < targets.size(); i++) {
        vmap.append(i == 0 ? "" : ", ").append(i).append(" : ").append(targets.get(i));
      }
      rules.add(vmap.append(" }").toString());
      chains.put(chain, rules);
    }
    endpointChains.forEach((endpointName, ep) -> {
      List<String> rules = new ArrayList<>();
      rules.add("ip saddr " + ep.ip() + " jump mark-for-masquerade"); // hairpin
      if (ep.affinitySeconds() > 0) {
        affinitySets.put("affinity-" + endpointName, ep.affinitySeconds());
        rules.add("update @affinity-" + endpointName + " { ip saddr }");
      }
      rules.add("meta l4proto " + ep.proto() + " dnat to " + ep.ip() + ":" + ep.port());
      chains.put("ep-" + endpointName, rules);
    });
    return new Fragment(elements, chains, affinitySets, claims);
  }

  /** The whole table's text from every service's share (as {@link Claims#effective} left it). */
  public static String table(Map<ServiceName, Fragment> fragments) {
    Map<ServiceName, Fragment> sorted = new TreeMap<>(fragments);
    StringBuilder out = new StringBuilder("table ip " + TABLE + " {\n");
    map(out, "service-ips", "ipv4_addr . inet_proto . inet_service", sorted);
    map(out, "service-nodeports", "inet_proto . inet_service", sorted);
    map(out, "no-endpoint-services", "ipv4_addr . inet_proto . inet_service", sorted);
    map(out, "no-endpoint-nodeports", "inet_proto . inet_service", sorted);
    Map<String, Long> affinitySets = new TreeMap<>();
    Map<String, List<String>> chains = new TreeMap<>();
    sorted.values().forEach(f -> {
      affinitySets.putAll(f.affinitySets());
      chains.putAll(f.chains());
    });
    affinitySets.forEach((set, timeout) -> affinitySet(out, set, timeout));
    String mark = "0x" + Integer.toHexString(MASQUERADE_MARK);
    chain(out, REJECT_CHAIN, null,
        "meta l4proto tcp reject with tcp reset",
        "reject with icmp type port-unreachable");
    chain(out, "mark-for-masquerade", null, "meta mark set meta mark | " + mark);
    chain(out, "masquerading", "type nat hook postrouting priority srcnat; policy accept;",
        "meta mark & " + mark + " == 0 return",
        "meta mark set meta mark ^ " + mark,
        "masquerade fully-random");
    // NodePorts on every local address but loopback, as kube-proxy (127/8 needs route_localnet).
    String localNotLoopback = "fib daddr type local ip daddr != 127.0.0.0/8 ";
    chain(out, "services", null,
        "ip daddr . meta l4proto . th dport vmap @service-ips",
        localNotLoopback + "meta l4proto . th dport vmap @service-nodeports");
    // After DNAT the address is an endpoint's: only what was not translated is checked.
    chain(out, "endpoints-check", null,
        "ct status dnat return",
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
        localNotLoopback + "meta l4proto . th dport vmap @no-endpoint-nodeports");
    chain(out, "nat-prerouting", "type nat hook prerouting priority dstnat; policy accept;",
        "jump services");
    // "dstnat" is refused as a priority name in the output hook: the number is the same.
    chain(out, "nat-output", "type nat hook output priority -100; policy accept;",
        "jump services");
    for (String hook : List.of("input", "forward", "output")) {
      chain(out, "filter-" + hook, "type filter hook " + hook + " priority -110; policy accept;",
          "ct state new jump endpoints-check");
    }
    chains.forEach((name, rules) -> chain(out, name, null, rules.toArray(String[]::new)));
    return out.append("}\n").toString();
  }

  /**
   * A name part nft accepts in an identifier ({@code [A-Za-z0-9/_.-]}); Kubernetes names and
   * port names already are, anything else becomes {@code _}.
   */
  static String name(String part) {
    StringBuilder b = new StringBuilder(part.length());
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_' || c == '.';
      b.append(ok ? c : '_');
    }
    return b.length() == 0 ? "_" : b.toString();
  }

  private static void affinitySet(StringBuilder out, String name, long timeoutSeconds) {
    out.append("  set ").append(name).append(" {\n")
        .append("    type ipv4_addr\n")
        .append("    flags dynamic,timeout\n")
        .append("    timeout ").append(timeoutSeconds).append("s\n")
        .append("  }\n");
  }

  private static void map(StringBuilder out, String name, String type, Map<ServiceName, Fragment> fragments) {
    out.append("  map ").append(name).append(" {\n")
        .append("    type ").append(type).append(" : verdict\n");
    List<String> elements = new ArrayList<>();
    fragments.values().forEach(f -> f.elements(name).forEach((element, verdict) ->
        elements.add(element + " : " + verdict)));
    if (!elements.isEmpty()) {
      out.append("    elements = {\n");
      for (int i = 0; i < elements.size(); i++) {
        out.append("      ").append(elements.get(i)).append(i + 1 < elements.size() ? ",\n" : "\n");
      }
      out.append("    }\n");
    }
    out.append("  }\n");
  }

  /** A chain; every rule on its own line (nft needs a newline or {@code ;} before the brace). */
  private static void chain(StringBuilder out, String name, String base, String... rules) {
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
