package dev.switchboard.agent.dns;

import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster zone as one immutable snapshot: the answer to any question is computed from it alone,
 * so the DNS server's event loop reads the current snapshot through a volatile field and never
 * locks, while the agent's executor builds the next one with {@link #update} (which shares the
 * records of every service that did not change).
 *
 * <p>What it answers (Kubernetes DNS-based service discovery, schema {@value #SCHEMA_VERSION}):
 * {@code <svc>.<ns>.svc.<zone>} (see {@link ServiceRecords}), {@code dns-version.<zone>} TXT, the
 * zone's SOA, the deprecated {@code <a-b-c-d>.<ns>.pod.<zone>} A, and PTR of ClusterIPs and of
 * headless services' endpoints. A name in the zone that does not exist is NXDOMAIN; a name that
 * exists (with other types, or as the parent of one that does, RFC 8020) without the asked type is
 * NODATA: NOERROR with the SOA in the authority section. Names outside the zone are REFUSED here
 * (the server may forward them); names inside it are SERVFAIL until the first snapshot from the
 * control plane is applied, so nobody caches a NXDOMAIN for a service that exists.
 */
public final class DnsZone {
  public static final String SCHEMA_VERSION = "1.1.0";
  static final String REVERSE_ZONE = "in-addr.arpa.";
  private static final Pattern CIDR = Pattern.compile("^(\\d{1,3}(?:\\.\\d{1,3}){3})/(\\d{1,2})$");
  private static final Pattern DASHED_IPV4 =
      Pattern.compile("^(\\d{1,3})-(\\d{1,3})-(\\d{1,3})-(\\d{1,3})$");
  // SOA timers as CoreDNS sets them; they matter to secondaries, which this zone has none of.
  private static final int SOA_REFRESH = 7200;
  private static final int SOA_RETRY = 1800;
  private static final int SOA_EXPIRE = 86400;

  private final String origin;
  private final int ttlSeconds;

  /**
   * The service CIDR as network and mask: reverse names inside it are ours (NXDOMAIN if unknown).
   */
  private final int cidrNetwork;

  private final int cidrMask;
  private final boolean ready;
  private final ZoneRecord.Soa soa;
  private final ZoneRecord.Soa reverseSoa;
  private final ZoneRecord.Txt schemaVersion;

  /** Every service held (with a Service object), with its records; NONE when it has none. */
  private final Map<ServiceName, ServiceRecords> services;

  /** Services per namespace: {@code <ns>.svc.<zone>} exists while it has one. */
  private final Map<String, Integer> namespaces;

  /** Reverse name → PTR records (a pod IP may be an endpoint of several headless services). */
  private final Map<String, List<ZoneRecord>> pointers;

  private DnsZone(
      String origin,
      int ttlSeconds,
      int cidrNetwork,
      int cidrMask,
      boolean ready,
      long serial,
      Map<ServiceName, ServiceRecords> services,
      Map<String, Integer> namespaces,
      Map<String, List<ZoneRecord>> pointers) {
    this.origin = origin;
    this.ttlSeconds = ttlSeconds;
    this.cidrNetwork = cidrNetwork;
    this.cidrMask = cidrMask;
    this.ready = ready;
    this.services = services;
    this.namespaces = namespaces;
    this.pointers = pointers;
    this.soa =
        new ZoneRecord.Soa(
            origin,
            "ns.dns." + origin,
            "hostmaster." + origin,
            serial & 0xffffffffL,
            SOA_REFRESH,
            SOA_RETRY,
            SOA_EXPIRE,
            ttlSeconds);
    this.reverseSoa =
        new ZoneRecord.Soa(
            REVERSE_ZONE,
            soa.primary(),
            soa.mailbox(),
            soa.serial(),
            SOA_REFRESH,
            SOA_RETRY,
            SOA_EXPIRE,
            ttlSeconds);
    this.schemaVersion = new ZoneRecord.Txt("dns-version." + origin, SCHEMA_VERSION);
  }

  /**
   * A zone with no services, not ready (in-zone questions are SERVFAIL) until the first {@link
   * #update}.
   *
   * @param zone the cluster domain, e.g. {@code cluster.local}
   * @param serviceCidr the ClusterIP range, e.g. {@code 10.96.0.0/12}: unknown reverse names in it
   *     are NXDOMAIN, others REFUSED
   */
  public static DnsZone empty(String zone, int ttlSeconds, String serviceCidr) {
    String origin = absolute(zone);
    if (ttlSeconds < 0) {
      throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: >= 0)");
    }
    Matcher m = CIDR.matcher(serviceCidr);
    Inet4Address network = m.matches() ? ServiceRecords.ipv4(m.group(1)) : null;
    int prefix = m.matches() ? Integer.parseInt(m.group(2)) : -1;
    if (network == null || prefix > 32) {
      throw new IllegalArgumentException(
          "serviceCidr: " + serviceCidr + " (expected: an IPv4 CIDR, e.g. 10.96.0.0/12)");
    }
    int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
    int network32 = ServiceRecords.toInt(network) & mask;
    return new DnsZone(origin, ttlSeconds, network32, mask, false, 0, Map.of(), Map.of(), Map.of());
  }

  /**
   * The next snapshot: this one with the services in {@code changed} replaced (a view without a
   * service removes it), serial {@code serial}, and ready. This zone is left as it is.
   */
  public DnsZone update(long serial, Map<ServiceName, ServiceView> changed) {
    Map<ServiceName, ServiceRecords> nextServices = new HashMap<>(services);
    Map<String, Integer> nextNamespaces = new HashMap<>(namespaces);
    Map<String, List<ZoneRecord>> nextPointers = new HashMap<>(pointers);
    for (Map.Entry<ServiceName, ServiceView> e : changed.entrySet()) {
      ServiceName name = e.getKey();
      ServiceRecords old = nextServices.remove(name);
      if (old != null) {
        nextNamespaces.computeIfPresent(name.namespace(), (ns, n) -> n == 1 ? null : n - 1);
        for (ZoneRecord.Ptr p : old.pointers()) {
          nextPointers.computeIfPresent(
              p.name(),
              (k, list) -> {
                List<ZoneRecord> rest = new ArrayList<>(list);
                rest.remove(p);
                return rest.isEmpty() ? null : List.copyOf(rest);
              });
        }
      }
      ServiceView view = e.getValue();
      if (view != null && view.hasService()) {
        ServiceRecords records = ServiceRecords.of(name, view.service(), view.endpoints(), origin);
        nextServices.put(name, records);
        nextNamespaces.merge(name.namespace(), 1, Integer::sum);
        for (ZoneRecord.Ptr p : records.pointers()) {
          nextPointers.merge(
              p.name(),
              List.of(p),
              (a, b) -> {
                List<ZoneRecord> all = new ArrayList<>(a);
                all.addAll(b);
                return List.copyOf(all);
              });
        }
      }
    }
    return new DnsZone(
        origin,
        ttlSeconds,
        cidrNetwork,
        cidrMask,
        true,
        serial,
        nextServices,
        nextNamespaces,
        nextPointers);
  }

  /** The answer to {@code qname} (any case, dot or not at the end) of type code {@code qtype}. */
  public Answer lookup(String qname, int qtype) {
    String name = absolute(qname);
    ZoneRecord.RecordType type = ZoneRecord.RecordType.of(qtype);
    if (name.endsWith("." + REVERSE_ZONE)) {
      return reverse(name, type);
    }
    if (!name.equals(origin) && !name.endsWith("." + origin)) {
      return Answer.REFUSED;
    }
    if (!ready) {
      return Answer.SERVFAIL;
    }
    List<ZoneRecord> records = recordsAt(name);
    if (records == null) {
      return new Answer(Rcode.NXDOMAIN, List.of(), List.of(soa), List.of());
    }
    List<ZoneRecord> answers = ofType(records, type);
    if (answers.isEmpty()) {
      return new Answer(Rcode.NOERROR, List.of(), List.of(soa), List.of());
    }
    return new Answer(Rcode.NOERROR, answers, List.of(), additional(answers));
  }

  /**
   * The records at {@code name} (absolute, lower case, in the zone); null when it does not exist.
   */
  private List<ZoneRecord> recordsAt(String name) {
    if (name.equals(origin)) {
      return List.of(soa);
    }
    String relative = name.substring(0, name.length() - origin.length() - 1);
    String[] labels = relative.split("\\.", -1);
    int n = labels.length;
    if (n == 1 && labels[0].equals("dns-version")) {
      return List.of(schemaVersion);
    }
    switch (labels[n - 1]) {
      case "svc" -> {
        if (n == 1) {
          return List.of();
        }
        if (n == 2) {
          return namespaces.containsKey(labels[0]) ? List.of() : null;
        }
        ServiceRecords records = services.get(new ServiceName(labels[n - 2], labels[n - 3]));
        return records == null ? null : records.at(name);
      }
      case "pod" -> {
        if (n <= 2) {
          return List.of(); // pod.<zone> and <ns>.pod.<zone>: parents of pod names
        }
        Inet4Address ip = n == 3 ? dashed(labels[0]) : null;
        return ip == null ? null : List.of(new ZoneRecord.A(name, ip));
      }
      default -> {
        return null;
      }
    }
  }

  private Answer reverse(String name, ZoneRecord.RecordType type) {
    List<ZoneRecord> records = pointers.get(name);
    if (records != null) {
      List<ZoneRecord> answers = ofType(records, type);
      return answers.isEmpty()
          ? new Answer(Rcode.NOERROR, List.of(), List.of(reverseSoa), List.of())
          : new Answer(Rcode.NOERROR, answers, List.of(), List.of());
    }
    Inet4Address ip = fromReverse(name);
    if (ip == null || (ServiceRecords.toInt(ip) & cidrMask) != cidrNetwork) {
      return Answer.REFUSED; // not a ClusterIP: someone else's reverse zone
    }
    return ready
        ? new Answer(Rcode.NXDOMAIN, List.of(), List.of(reverseSoa), List.of())
        : Answer.SERVFAIL;
  }

  /** For SRV answers, the A records of their targets when this zone holds them (spec: "may"). */
  private List<ZoneRecord> additional(List<ZoneRecord> answers) {
    List<ZoneRecord> out = new ArrayList<>();
    for (ZoneRecord r : answers) {
      if (r instanceof ZoneRecord.Srv srv) {
        List<ZoneRecord> targets = recordsAt(srv.target());
        if (targets != null) {
          for (ZoneRecord t : targets) {
            if (t instanceof ZoneRecord.A && !out.contains(t)) {
              out.add(t);
            }
          }
        }
      }
    }
    return out;
  }

  private static List<ZoneRecord> ofType(List<ZoneRecord> records, ZoneRecord.RecordType type) {
    if (type == ZoneRecord.RecordType.ANY) {
      return records;
    }
    if (type == null) {
      return List.of();
    }
    List<ZoneRecord> out = new ArrayList<>(records.size());
    for (ZoneRecord r : records) {
      if (r.type() == type) {
        out.add(r);
      }
    }
    return out;
  }

  /** {@code a-b-c-d} as an address; null when it is not one. */
  private static Inet4Address dashed(String label) {
    Matcher m = DASHED_IPV4.matcher(label);
    return m.matches()
        ? ServiceRecords.ipv4(m.group(1) + "." + m.group(2) + "." + m.group(3) + "." + m.group(4))
        : null;
  }

  /** The address of {@code d.c.b.a.in-addr.arpa.}; null when the name is not a whole address. */
  private static Inet4Address fromReverse(String name) {
    String[] labels = name.substring(0, name.length() - REVERSE_ZONE.length() - 1).split("\\.", -1);
    if (labels.length != 4) {
      return null;
    }
    return ServiceRecords.ipv4(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0]);
  }

  /** Lower case, ending with a dot. */
  static String absolute(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower : lower + ".";
  }

  /** {@code cluster.local.}: the zone's own name, absolute. */
  public String origin() {
    return origin;
  }

  public int ttlSeconds() {
    return ttlSeconds;
  }

  /** True once built from the control plane's state. */
  public boolean ready() {
    return ready;
  }

  /** The SOA serial: the version of the state it was built from (low 32 bits). */
  public long serial() {
    return soa.serial();
  }

  /** Services held (whether or not they have records). */
  public int serviceCount() {
    return services.size();
  }

  /** The response codes a zone gives; the server adds FORMERR and NOTIMP of its own. */
  public enum Rcode {
    NOERROR(0),
    SERVFAIL(2),
    NXDOMAIN(3),
    REFUSED(5);

    private final int code;

    Rcode(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }
  }

  /**
   * What to answer.
   *
   * @param authority the SOA for NXDOMAIN and NODATA (its minimum is the negative TTL)
   * @param additional the A records of SRV targets
   */
  public record Answer(
      Rcode rcode,
      List<ZoneRecord> answers,
      List<ZoneRecord> authority,
      List<ZoneRecord> additional) {
    static final Answer REFUSED = new Answer(Rcode.REFUSED, List.of(), List.of(), List.of());
    static final Answer SERVFAIL = new Answer(Rcode.SERVFAIL, List.of(), List.of(), List.of());

    public Answer {
      Objects.requireNonNull(rcode, "rcode");
      answers = List.copyOf(answers);
      authority = List.copyOf(authority);
      additional = List.copyOf(additional);
    }

    /** True when this server is the authority for the name (AA set): not REFUSED or SERVFAIL. */
    public boolean authoritative() {
      return rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN;
    }
  }
}
