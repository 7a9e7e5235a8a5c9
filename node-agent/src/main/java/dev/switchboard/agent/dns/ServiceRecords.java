package dev.switchboard.agent.dns;

import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The records of one service (Kubernetes DNS specification, sections 2.3 and 2.4), built once per
 * change of the service or its endpoints and then shared, immutable, by every zone snapshot until
 * the next change.
 *
 * <ul>
 *   <li>ClusterIP: {@code A <svc>.<ns>.svc.<zone>} → the ClusterIP; {@code SRV
 *       _<port>._<proto>.<svc>...} → port and the service's name, per named port; {@code PTR} of
 *       the ClusterIP.
 *   <li>Headless ({@code None}): one {@code A} per ready endpoint at the service's name and at the
 *       endpoint's own name; an {@code SRV} per ready endpoint and named port (the endpoint's port,
 *       the endpoint's name); a {@code PTR} per endpoint address. No ready endpoint: no records at
 *       all, so the name is NXDOMAIN, as the specification asks.
 * </ul>
 *
 * <p>An endpoint's name is its address with dashes ({@code 10-1-2-3}): the specification's
 * "system-assigned identifier", as CoreDNS spells it; endpoints carry no hostname here. IPv4 only:
 * other addresses are skipped.
 */
final class ServiceRecords {
  static final ServiceRecords NONE = new ServiceRecords(Map.of(), List.of());

  /** Absolute owner name → its records; an empty list marks a name that exists without records. */
  private final Map<String, List<ZoneRecord>> byOwner;

  /** The reverse-lookup records this service contributes to the zone. */
  private final List<ZoneRecord.Ptr> pointers;

  private ServiceRecords(Map<String, List<ZoneRecord>> byOwner, List<ZoneRecord.Ptr> pointers) {
    this.byOwner = byOwner;
    this.pointers = pointers;
  }

  /** The records of {@code service} (never null) with {@code endpoints} (null: none yet). */
  static ServiceRecords of(ServiceName name, Service service, Endpoints endpoints, String origin) {
    String fqdn = name.name() + "." + name.namespace() + ".svc." + origin;
    String clusterIp = service.getSpec().getClusterIp();
    Map<String, List<ZoneRecord>> owners = new TreeMap<>();
    List<ZoneRecord.Ptr> pointers = new ArrayList<>();
    if ("None".equals(clusterIp)) {
      headless(fqdn, service, endpoints, owners, pointers);
    } else {
      Inet4Address ip = ipv4(clusterIp);
      if (ip == null) {
        return NONE; // not allocated yet, or not IPv4: nothing to answer
      }
      ZoneRecord.A a = new ZoneRecord.A(fqdn, ip);
      add(owners, a);
      for (ServicePort port : service.getSpec().getPortsList()) {
        if (!port.getName().isEmpty()) {
          add(
              owners,
              new ZoneRecord.Srv(
                  srvName(port.getName(), port.getProtocol(), fqdn), 0, 100, port.getPort(), fqdn));
        }
      }
      pointers.add(new ZoneRecord.Ptr(reverseName(ip), fqdn));
    }
    if (owners.isEmpty()) {
      return NONE;
    }
    // Empty non-terminals: _tcp.<svc>... exists once _http._tcp.<svc>... does (RFC 8020: NODATA).
    for (String owner : List.copyOf(owners.keySet())) {
      if (owner.startsWith("_")) {
        owners.putIfAbsent(owner.substring(owner.indexOf('.') + 1), List.of());
      }
    }
    Map<String, List<ZoneRecord>> frozen = new HashMap<>();
    owners.forEach((owner, records) -> frozen.put(owner, List.copyOf(records)));
    return new ServiceRecords(Map.copyOf(frozen), List.copyOf(pointers));
  }

  private static void headless(
      String fqdn,
      Service service,
      Endpoints endpoints,
      Map<String, List<ZoneRecord>> owners,
      List<ZoneRecord.Ptr> pointers) {
    if (endpoints == null) {
      return;
    }
    boolean publishNotReady = service.getSpec().getPublishNotReadyAddresses();
    // address → endpoint, in address order so that answers are stable between snapshots
    Map<Integer, ReadyEndpoint> ready = new TreeMap<>(Integer::compareUnsigned);
    for (Endpoint e : endpoints.getEndpointsList()) {
      Inet4Address ip =
          publishNotReady || e.getConditions().getReady() ? ipv4(e.getAddress()) : null;
      if (ip != null) {
        ready.putIfAbsent(
            toInt(ip), new ReadyEndpoint(ip, e.getAddress().replace('.', '-') + "." + fqdn, e));
      }
    }
    for (ReadyEndpoint e : ready.values()) {
      add(owners, new ZoneRecord.A(fqdn, e.ip()));
      add(owners, new ZoneRecord.A(e.host(), e.ip()));
      pointers.add(new ZoneRecord.Ptr(reverseName(e.ip()), e.host()));
    }
    for (ServicePort port : service.getSpec().getPortsList()) {
      if (port.getName().isEmpty()) {
        continue; // unnamed ports have no SRV records
      }
      String srv = srvName(port.getName(), port.getProtocol(), fqdn);
      List<ZoneRecord.Srv> targets = new ArrayList<>();
      for (ReadyEndpoint e : ready.values()) {
        for (EndpointPort p : e.endpoint().getPortsList()) {
          if (p.getName().equals(port.getName()) && p.getPort() > 0 && p.getPort() <= 65535) {
            targets.add(new ZoneRecord.Srv(srv, 0, 0, p.getPort(), e.host()));
            break;
          }
        }
      }
      int weight = targets.isEmpty() ? 0 : Math.max(1, 100 / targets.size()); // equal shares
      for (ZoneRecord.Srv t : targets) {
        add(owners, new ZoneRecord.Srv(t.name(), 0, weight, t.port(), t.target()));
      }
    }
  }

  /** A ready endpoint of a headless service: its address and its own name. */
  private record ReadyEndpoint(Inet4Address ip, String host, Endpoint endpoint) {}

  static int toInt(Inet4Address ip) {
    byte[] b = ip.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  /** The records at {@code owner}; null when the service has no such name. */
  List<ZoneRecord> at(String owner) {
    return byOwner.get(owner);
  }

  List<ZoneRecord.Ptr> pointers() {
    return pointers;
  }

  boolean isEmpty() {
    return byOwner.isEmpty();
  }

  private static void add(Map<String, List<ZoneRecord>> owners, ZoneRecord r) {
    owners.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(r);
  }

  private static String srvName(String port, String protocol, String fqdn) {
    String proto = protocol.isEmpty() ? "tcp" : protocol.toLowerCase(Locale.ROOT);
    return "_" + port.toLowerCase(Locale.ROOT) + "._" + proto + "." + fqdn;
  }

  /** {@code d.c.b.a.in-addr.arpa.} of {@code a.b.c.d}. */
  static String reverseName(Inet4Address ip) {
    byte[] b = ip.getAddress();
    return (b[3] & 0xff)
        + "."
        + (b[2] & 0xff)
        + "."
        + (b[1] & 0xff)
        + "."
        + (b[0] & 0xff)
        + ".in-addr.arpa.";
  }

  static Inet4Address ipv4(String literal) {
    InetAddress a = IpLiterals.parse(literal).orElse(null);
    return a instanceof Inet4Address v4 ? v4 : null;
  }
}
