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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders the listeners the kernel serves as the text of one nftables table, {@code table ip
 * switchboard}, in the shape of kube-proxy's nftables mode but with endpoints in data maps. Pure: no
 * I/O, the same input gives the same text (sorted), tests compare strings, and each service's share
 * is rendered on its own ({@link #renderService}, a {@link Fragment}) so a sync renders and writes
 * only the services that changed ({@link NftBatch#incremental}); {@link NftTable#table} assembles the whole
 * table.
 *
 * <pre>
 *   nat-prerouting (dstnat) / nat-output (-100) → services
 *     services:  @masquerade-ips → mark for masquerade (LB IPs of Cluster-policy services)
 *                ip daddr . meta l4proto . th dport vmap @service-ips     (ClientIP affinity only)
 *                per endpoint count N in use:
 *                  ip daddr . meta l4proto . th dport @service-ips-mod-N goto service-ips-mod-N
 *     service-ips-mod-N: dnat ip to ip daddr . meta l4proto . th dport . numgen random mod N
 *                          map @service-ips-mod-N-endpoints   (… . k → endpoint k's ip . port)
 *                fib daddr type local, not 127/8 → nodeports (the same by meta l4proto . th dport:
 *                  @masquerade-nodeports, vmap @service-nodeports, @service-nodeports-mod-N)
 *   ClientIP affinity (kube-proxy's shape, chains): svc-NS/NAME/PROTO/PORT or ext-…:
 *       ip saddr @affinity-EP goto ep-EP …  numgen random mod N vmap { 0 : goto ep-… }
 *       ep-NS/NAME/PROTO/PORT/IP/TPORT: update @affinity-EP { ip saddr }, dnat to IP:TPORT
 *   filter-input / -forward / -output (-110) → endpoints-check: ports without endpoints
 *       (@no-endpoint-services, @no-endpoint-nodeports) → reject-chain (TCP reset, ICMP
 *       port unreachable): a clear "connection refused", never a hang
 *   masquerading (srcnat): what carries the mark, and hairpin traffic (@hairpin: ip . ip)
 * </pre>
 *
 * <p>Why data maps and not a chain per service: every {@code nft} run first reads the kernel's
 * chains, and a commit that adds a rule or a verdict-map entry with a {@code dnat} or {@code goto}
 * makes the kernel validate every chain reachable from the table's hooks. With a chain per service
 * both grow with the services (10,000 services: ~85 ms per change on a quiet box); with the
 * endpoints as entries of a map (data, not verdicts) an endpoint change is a map entry deleted and
 * added, nothing is validated, and nft's cache is a handful of chains (~15 ms, docs/architecture.md
 * "Cost"). The modulus of {@code numgen} is a constant, so there is one rule (and one set) per
 * endpoint count in use, not per service.
 *
 * <p>Endpoints: the forwarder's rule ({@link EndpointSet#candidates()}): ready ones; the serving
 * terminating ones only when none is ready. Masquerade: NodePort and LoadBalancer-IP traffic of a
 * Cluster policy (the endpoint may be on another node, so its reply must come back through this
 * one) and hairpin traffic (a pod reaching itself through its service); ClusterIP traffic keeps its
 * source, as kube-proxy does without a cluster CIDR. IPv4 only (the table's family is {@code ip}):
 * IPv6 ClusterIPs and endpoints are reported, not programmed.
 */
public final class NftRuleset {
  /** The one table Switchboard owns; nothing else is touched. */
  public static final String TABLE = "switchboard";

  /** The packet mark bit that asks {@code masquerading} to masquerade (kube-proxy's bit). */
  public static final int MASQUERADE_MARK = 0x4000;

  static final String REJECT_CHAIN = "reject-chain";

  /** Verdict maps to the chains of ClientIP-affinity service ports (ClusterIP and LB IPs). */
  static final String SERVICE_IPS = "service-ips";

  /** As {@link #SERVICE_IPS}, for NodePorts. */
  static final String SERVICE_NODEPORTS = "service-nodeports";

  /**
   * The address-matched ports (no affinity) that have N endpoints: prefix + N names their set, the
   * chain that picks one of the N ({@code numgen random mod N}) and, with {@link #ENDPOINTS}, the
   * data map of their endpoints ({@code addr . proto . port . k} → {@code ip . port}).
   */
  static final String IPS_MOD = "service-ips-mod-";

  /** As {@link #IPS_MOD}, for NodePorts ({@code proto . port . k} → {@code ip . port}). */
  static final String NODEPORTS_MOD = "service-nodeports-mod-";

  /** The suffix of a per-count endpoint map's name. */
  static final String ENDPOINTS = "-endpoints";

  /** LoadBalancer IPs (Cluster policy) whose traffic is masqueraded. */
  static final String MASQUERADE_IPS = "masquerade-ips";

  /** NodePorts (Cluster policy) whose traffic is masqueraded. */
  static final String MASQUERADE_NODEPORTS = "masquerade-nodeports";

  static final String NO_ENDPOINT_SERVICES = "no-endpoint-services";
  static final String NO_ENDPOINT_NODEPORTS = "no-endpoint-nodeports";

  static final String ADDR_KEY = "ipv4_addr . inet_proto . inet_service";
  static final String PORT_KEY = "inet_proto . inet_service";
  static final String LOCAL_NOT_LOOPBACK = "fib daddr type local ip daddr != 127.0.0.0/8";

  /** Per-count sets by kind, then numerically by N ("…-mod-2" before "…-mod-10"). */
  static final Comparator<String> MOD_SET_ORDER =
      Comparator.comparing((String set) -> set.startsWith(NODEPORTS_MOD))
          .thenComparingInt(NftRuleset::modulus);

  private static final Comparator<ListenerPlan> ORDER =
      Comparator.comparing(ListenerPlan::service)
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
  public record Rendered(
      String table, List<String> errors, int ports, Map<ServiceName, Fragment> fragments) {
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
   * @param elements set or map name → element → value ("" or a {@link #comment} for a set's
   *     element; {@code goto …} in a verdict map; {@code ip . port} in an endpoint map)
   * @param chains chain name → rules (its port chains and endpoint chains)
   * @param affinitySets affinity set name → timeout in seconds
   * @param claims what it matches on ({@code addr 10.96.0.10 . tcp . 80}, {@code port tcp . 30080})
   *     → the listener it serves, for conflicts between services
   * @param endpointIps its endpoints' addresses, for the {@code @hairpin} set (shared between
   *     services, so not part of {@link #elements})
   */
  public record Fragment(
      Map<String, Map<String, String>> elements,
      Map<String, List<String>> chains,
      Map<String, Long> affinitySets,
      Map<String, String> claims,
      Set<String> endpointIps) {
    static final Fragment EMPTY = new Fragment(Map.of(), Map.of(), Map.of(), Map.of(), Set.of());

    public Fragment {
      Map<String, Map<String, String>> copy = new TreeMap<>();
      elements.forEach(
          (map, els) -> copy.put(map, Collections.unmodifiableMap(new TreeMap<>(els))));
      elements = Collections.unmodifiableMap(copy);
      chains = Collections.unmodifiableMap(new TreeMap<>(chains));
      affinitySets = Collections.unmodifiableMap(new TreeMap<>(affinitySets));
      claims = Collections.unmodifiableMap(new TreeMap<>(claims));
      endpointIps = Collections.unmodifiableSet(new TreeSet<>(endpointIps));
    }

    Map<String, String> elements(String map) {
      return elements.getOrDefault(map, Map.of());
    }

    /** Service ports it programs (each claim is one map entry). */
    public int ports() {
      return claims.size();
    }

    /**
     * The same without the map entries of {@code lost} claims (their chains stay, unreferenced).
     */
    Fragment without(Set<String> lost) {
      if (lost.isEmpty()) {
        return this;
      }
      Map<String, Map<String, String>> kept = new TreeMap<>();
      elements.forEach(
          (map, els) -> {
            Map<String, String> left = new TreeMap<>(els);
            left.keySet().removeIf(element -> lost.contains(claimOf(map, element)));
            kept.put(map, left);
          });
      Map<String, String> keptClaims = new TreeMap<>(claims);
      keptClaims.keySet().removeAll(lost);
      return new Fragment(kept, chains, affinitySets, keptClaims, endpointIps);
    }

    /** The per-count sets ({@link #IPS_MOD}, {@link #NODEPORTS_MOD}) it has entries in. */
    Set<String> modSets() {
      Set<String> sets = new TreeSet<>(MOD_SET_ORDER);
      elements.forEach(
          (map, els) -> {
            if (isModSet(map) && !els.isEmpty()) {
              sets.add(map);
            }
          });
      return sets;
    }
  }

  /** The claim ({@code addr …} or {@code port …}) an element of {@code map} belongs to. */
  static String claimOf(String map, String element) {
    boolean byAddress =
        map.equals(SERVICE_IPS)
            || map.equals(MASQUERADE_IPS)
            || map.equals(NO_ENDPOINT_SERVICES)
            || map.startsWith(IPS_MOD);
    String key =
        map.endsWith(ENDPOINTS) ? element.substring(0, element.lastIndexOf(" . ")) : element;
    return (byAddress ? "addr " : "port ") + key;
  }

  /** A per-count set's name (not its endpoint map's). */
  static boolean isModSet(String name) {
    return (name.startsWith(IPS_MOD) || name.startsWith(NODEPORTS_MOD))
        && !name.endsWith(ENDPOINTS);
  }

  static int modulus(String modSet) {
    return Integer.parseInt(modSet.substring(modSet.lastIndexOf('-') + 1));
  }

  /** The endpoint map of a per-count set. */
  static String endpointMap(String modSet) {
    return modSet + ENDPOINTS;
  }

  /** An endpoint chain, shared by a port's ClusterIP and NodePort chains. */
  private record EndpointChain(String ip, int port, String proto, long affinitySeconds) {}

  private NftRuleset() {}

  /** Renders the table for {@code listeners} (the kernel's share of every service). */
  public static Rendered render(Collection<ListenerPlan> listeners) {
    Map<ServiceName, List<ListenerPlan>> byService = new TreeMap<>();
    for (ListenerPlan l : listeners) {
      byService.computeIfAbsent(l.service(), s -> new ArrayList<>()).add(l);
    }
    List<String> errors = new ArrayList<>();
    NftClaims claims = new NftClaims();
    Map<ServiceName, Fragment> raw = new TreeMap<>();
    byService.forEach(
        (service, ls) -> {
          Fragment f = renderService(service, ls, errors);
          raw.put(service, f);
          claims.update(service, null, f);
        });
    Map<ServiceName, Fragment> effective = new TreeMap<>();
    int[] ports = {0};
    raw.forEach(
        (service, f) -> {
          Fragment e = claims.effective(service, f, errors);
          effective.put(service, e);
          ports[0] += e.ports();
        });
    return new Rendered(NftTable.table(effective), errors, ports[0], effective);
  }

  /**
   * One service's share, from its kernel listeners; what cannot be programmed (IPv6) is one line
   * each in {@code errors}. Whether another service claims the same entries is not known here
   * ({@link NftClaims}).
   */
  public static Fragment renderService(
      ServiceName service, Collection<ListenerPlan> listeners, List<String> errors) {
    List<ListenerPlan> sorted = new ArrayList<>(listeners);
    sorted.sort(ORDER);
    Map<String, Map<String, String>> elements = new TreeMap<>();
    Map<String, List<String>> chains = new TreeMap<>();
    Map<String, Long> affinitySets = new TreeMap<>();
    Map<String, String> claims = new TreeMap<>();
    Map<String, EndpointChain> endpointChains = new TreeMap<>();
    Set<String> endpointIps = new TreeSet<>();

    for (ListenerPlan l : sorted) {
      if (!l.service().equals(service)) {
        throw new IllegalArgumentException(
            "listeners: " + l.describe() + " (expected: of service " + service + ")");
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
        errors.add(
            l.describe() + ": not programmed: " + element + " is already taken by another port");
        continue;
      }
      claims.put(claim, l.describe());

      String base =
          name(service.namespace())
              + "/"
              + name(service.name())
              + "/"
              + proto
              + "/"
              + name(l.port());
      List<Endpoint> candidates = new ArrayList<>();
      for (Endpoint e : new EndpointSet(l.target().endpoints()).candidates()) {
        if (e.ip() instanceof Inet4Address) {
          candidates.add(e);
        } else {
          errors.add(
              l.describe()
                  + ": endpoint "
                  + e.ip().getHostAddress()
                  + " not programmed: "
                  + "nftables mode serves IPv4 only");
        }
      }
      if (candidates.isEmpty()) {
        elements
            .computeIfAbsent(
                byAddress ? NO_ENDPOINT_SERVICES : NO_ENDPOINT_NODEPORTS, m -> new TreeMap<>())
            .put(element, comment(service, l.port()));
        continue;
      }
      candidates.forEach(e -> endpointIps.add(e.ip().getHostAddress()));
      if (!clusterIp && !l.localOnly()) {
        elements
            .computeIfAbsent(
                byAddress ? MASQUERADE_IPS : MASQUERADE_NODEPORTS, m -> new TreeMap<>())
            .put(element, "");
      }
      SessionAffinity affinity = l.target().affinity();
      long affinitySeconds =
          affinity.type() == SessionAffinity.Type.CLIENT_IP
              ? Math.max(1, affinity.timeout().toSeconds())
              : 0;
      if (affinitySeconds == 0) {
        // Without affinity the port is an entry in the set of its endpoint count and its
        // endpoints are entries of a data map keyed by port and index: one numgen rule per count
        // picks the index, each endpoint with 1/N. Data entries need no chain and no validation.
        elements
            .computeIfAbsent(
                (byAddress ? IPS_MOD : NODEPORTS_MOD) + candidates.size(), m -> new TreeMap<>())
            .put(element, comment(service, l.port()));
        Map<String, String> endpoints =
            elements.computeIfAbsent(
                endpointMap((byAddress ? IPS_MOD : NODEPORTS_MOD) + candidates.size()),
                m -> new TreeMap<>());
        for (int k = 0; k < candidates.size(); k++) {
          Endpoint e = candidates.get(k);
          endpoints.put(element + " . " + k, e.ip().getHostAddress() + " . " + e.port());
        }
        continue;
      }
      String chain = (clusterIp ? "svc-" : "ext-") + base;
      elements
          .computeIfAbsent(byAddress ? SERVICE_IPS : SERVICE_NODEPORTS, m -> new TreeMap<>())
          .put(element, "goto " + chain);
      List<String> rules = new ArrayList<>();
      // ClientIP affinity: a per-endpoint set of recent clients, checked first (kube-proxy's
      // shape).
      List<String> targets = new ArrayList<>();
      for (Endpoint e : candidates) {
        String ip = e.ip().getHostAddress();
        String endpointName = base + "/" + ip + "/" + e.port();
        endpointChains.put(endpointName, new EndpointChain(ip, e.port(), proto, affinitySeconds));
        targets.add("goto ep-" + endpointName);
        rules.add("ip saddr @affinity-" + endpointName + " goto ep-" + endpointName);
      }
      StringBuilder vmap = new StringBuilder("numgen random mod " + targets.size() + " vmap { ");
      for (int i = 0; i < targets.size(); i++) {
        vmap.append(i == 0 ? "" : ", ").append(i).append(" : ").append(targets.get(i));
      }
      rules.add(vmap.append(" }").toString());
      chains.put(chain, rules);
    }
    endpointChains.forEach(
        (endpointName, ep) -> {
          affinitySets.put("affinity-" + endpointName, ep.affinitySeconds());
          chains.put(
              "ep-" + endpointName,
              List.of(
                  "update @affinity-" + endpointName + " { ip saddr }",
                  "meta l4proto " + ep.proto() + " dnat to " + ep.ip() + ":" + ep.port()));
        });
    return new Fragment(elements, chains, affinitySets, claims, endpointIps);
  }

  /**
   * A name part nft accepts in an identifier ({@code [A-Za-z0-9/_.-]}); Kubernetes names and port
   * names already are, anything else becomes {@code _}.
   */
  static String name(String part) {
    StringBuilder b = new StringBuilder(part.length());
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_'
              || c == '.';
      b.append(ok ? c : '_');
    }
    return b.length() == 0 ? "_" : b.toString();
  }

  /**
   * A set element's comment naming the service port it serves ({@code nft list table} shows whose
   * entry it is); at most 128 bytes, as nft allows.
   */
  static String comment(ServiceName service, String port) {
    String text = (service.namespace() + "/" + service.name() + ":" + port).replace('"', '_');
    return "comment \"" + (text.length() > 120 ? text.substring(0, 120) : text) + "\"";
  }
}
