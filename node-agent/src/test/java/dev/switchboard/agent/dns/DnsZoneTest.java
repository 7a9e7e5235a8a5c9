package dev.switchboard.agent.dns;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.agent.dns.DnsZone.Answer;
import dev.switchboard.agent.dns.DnsZone.Rcode;
import dev.switchboard.agent.dns.ZoneRecord.RecordType;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Service;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DnsZoneTest {
  private static final int A = RecordType.A.code();
  private static final int AAAA = RecordType.AAAA.code();
  private static final int SRV = RecordType.SRV.code();
  private static final int PTR = RecordType.PTR.code();
  private static final int TXT = RecordType.TXT.code();
  private static final int SOA = RecordType.SOA.code();
  private static final int ANY = RecordType.ANY.code();
  private static final int MX = 15;

  private static final ServiceName WEB = new ServiceName("default", "web");
  private static final ServiceName DB = new ServiceName("default", "db");

  private final Service web =
      service(
          "web",
          spec("ClusterIP", "127.96.0.10")
              .addPorts(port("http", "TCP", 80, 0))
              .addPorts(port("dns", "UDP", 53, 0))
              .addPorts(port("", "TCP", 9000, 0)));
  private final Service db =
      service("db", spec("ClusterIP", "None").addPorts(port("pg", "TCP", 5432, 0)));
  private final Endpoints dbEndpoints =
      endpoints(
          "db",
          endpoint("127.0.10.2", "n1", true, true, false, endpointPort("pg", 15432)),
          endpoint("127.0.10.1", "n2", true, true, false, endpointPort("pg", 15433)),
          endpoint("127.0.10.3", "n2", false, false, false, endpointPort("pg", 15434)));

  private DnsZone zone = DnsZone.empty("cluster.local", 5, "127.96.0.0/16");

  private void put(ServiceName name, Service s, Endpoints e) {
    Map<ServiceName, ServiceView> changed = new HashMap<>();
    changed.put(name, new ServiceView(s, e));
    zone = zone.update(zone.serial() + 1, changed);
  }

  private void remove(ServiceName name) {
    Map<ServiceName, ServiceView> changed = new HashMap<>();
    changed.put(name, ServiceView.ABSENT);
    zone = zone.update(zone.serial() + 1, changed);
  }

  @Test
  void clusterIpServiceHasAnARecordCaseInsensitively() {
    put(WEB, web, null);
    Answer a = zone.lookup("Web.Default.SVC.cluster.local", A);
    assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
    assertThat(a.authoritative()).isTrue();
    assertThat(a.answers())
        .containsExactly(new ZoneRecord.A("web.default.svc.cluster.local.", ip("127.96.0.10")));
  }

  @Test
  void namedPortsHaveSrvRecordsPointingAtTheServiceWithItsAddressAdditional() {
    put(WEB, web, null);
    Answer srv = zone.lookup("_http._tcp.web.default.svc.cluster.local.", SRV);
    assertThat(srv.answers())
        .containsExactly(
            new ZoneRecord.Srv(
                "_http._tcp.web.default.svc.cluster.local.",
                0,
                100,
                80,
                "web.default.svc.cluster.local."));
    assertThat(srv.additional())
        .containsExactly(new ZoneRecord.A("web.default.svc.cluster.local.", ip("127.96.0.10")));
    assertThat(zone.lookup("_dns._udp.web.default.svc.cluster.local.", SRV).answers())
        .extracting(r -> ((ZoneRecord.Srv) r).port())
        .containsExactly(53);
    // the protocol is part of the name: no _dns._tcp
    assertThat(zone.lookup("_dns._tcp.web.default.svc.cluster.local.", SRV).rcode())
        .isEqualTo(Rcode.NXDOMAIN);
    // the unnamed port has no SRV record
    assertThat(zone.lookup("_9000._tcp.web.default.svc.cluster.local.", SRV).rcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void clusterIpHasAPtrRecord() {
    put(WEB, web, null);
    assertThat(zone.lookup("10.0.96.127.in-addr.arpa.", PTR).answers())
        .containsExactly(
            new ZoneRecord.Ptr("10.0.96.127.in-addr.arpa.", "web.default.svc.cluster.local."));
  }

  @Test
  void unknownReverseNamesAreNxdomainInTheServiceCidrAndRefusedOutside() {
    put(WEB, web, null);
    Answer inside = zone.lookup("11.0.96.127.in-addr.arpa.", PTR);
    assertThat(inside.rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(inside.authority()).singleElement().isInstanceOf(ZoneRecord.Soa.class);
    assertThat(zone.lookup("8.8.8.8.in-addr.arpa.", PTR).rcode()).isEqualTo(Rcode.REFUSED);
    assertThat(zone.lookup("96.127.in-addr.arpa.", PTR).rcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  void headlessServiceHasOneARecordPerReadyEndpointAndANamePerEndpoint() {
    put(DB, db, dbEndpoints);
    assertThat(zone.lookup("db.default.svc.cluster.local.", A).answers())
        .extracting(r -> ((ZoneRecord.A) r).address().getHostAddress())
        .containsExactly("127.0.10.1", "127.0.10.2"); // not the unready 127.0.10.3
    assertThat(zone.lookup("127-0-10-2.db.default.svc.cluster.local.", A).answers())
        .containsExactly(
            new ZoneRecord.A("127-0-10-2.db.default.svc.cluster.local.", ip("127.0.10.2")));
    assertThat(zone.lookup("127-0-10-3.db.default.svc.cluster.local.", A).rcode())
        .isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.lookup("2.10.0.127.in-addr.arpa.", PTR).answers())
        .containsExactly(
            new ZoneRecord.Ptr(
                "2.10.0.127.in-addr.arpa.", "127-0-10-2.db.default.svc.cluster.local."));
  }

  @Test
  void headlessSrvRecordsNameEachEndpointWithItsOwnPort() {
    put(DB, db, dbEndpoints);
    Answer srv = zone.lookup("_pg._tcp.db.default.svc.cluster.local.", SRV);
    assertThat(srv.answers())
        .containsExactly(
            new ZoneRecord.Srv(
                "_pg._tcp.db.default.svc.cluster.local.",
                0,
                50,
                15433,
                "127-0-10-1.db.default.svc.cluster.local."),
            new ZoneRecord.Srv(
                "_pg._tcp.db.default.svc.cluster.local.",
                0,
                50,
                15432,
                "127-0-10-2.db.default.svc.cluster.local."));
    assertThat(srv.additional()).hasSize(2);
  }

  @Test
  void headlessPublishNotReadyAddressesIncludesUnreadyEndpoints() {
    put(
        DB,
        db.toBuilder().setSpec(db.getSpec().toBuilder().setPublishNotReadyAddresses(true)).build(),
        dbEndpoints);
    assertThat(zone.lookup("db.default.svc.cluster.local.", A).answers()).hasSize(3);
  }

  @Test
  void headlessServiceWithoutReadyEndpointsIsNxdomain() {
    put(
        DB,
        db,
        endpoints(
            "db", endpoint("127.0.10.3", "n2", false, false, false, endpointPort("pg", 15434))));
    assertThat(zone.lookup("db.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    put(DB, db, null);
    assertThat(zone.lookup("db.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    // the namespace still exists: it holds a service
    assertThat(zone.lookup("default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NOERROR);
  }

  @Test
  void nodataWhenTheNameExistsWithoutTheTypeNxdomainWhenItDoesNot() {
    put(WEB, web, null);
    for (String existing :
        List.of(
            "web.default.svc.cluster.local.",
            "default.svc.cluster.local.",
            "svc.cluster.local.",
            "_tcp.web.default.svc.cluster.local.",
            "cluster.local.")) {
      for (int type : List.of(AAAA, MX)) {
        Answer nodata = zone.lookup(existing, type);
        assertThat(nodata.rcode()).as(existing).isEqualTo(Rcode.NOERROR);
        assertThat(nodata.answers()).as(existing).isEmpty();
        assertThat(nodata.authority())
            .as(existing)
            .singleElement()
            .isInstanceOfSatisfying(
                ZoneRecord.Soa.class,
                soa -> {
                  assertThat(soa.name()).isEqualTo("cluster.local.");
                  assertThat(soa.minimum()).isEqualTo(5);
                });
      }
    }
    for (String missing :
        List.of(
            "nope.default.svc.cluster.local.",
            "other.svc.cluster.local.",
            "x.web.default.svc.cluster.local.",
            "foo.cluster.local.",
            "_http._udp.web.default.svc.cluster.local.")) {
      Answer nx = zone.lookup(missing, A);
      assertThat(nx.rcode()).as(missing).isEqualTo(Rcode.NXDOMAIN);
      assertThat(nx.authoritative()).isTrue();
      assertThat(nx.authority()).singleElement().isInstanceOf(ZoneRecord.Soa.class);
    }
  }

  @Test
  void schemaVersionSoaAndAny() {
    put(WEB, web, null);
    assertThat(zone.lookup("dns-version.cluster.local.", TXT).answers())
        .containsExactly(new ZoneRecord.Txt("dns-version.cluster.local.", "1.1.0"));
    Answer soa = zone.lookup("cluster.local.", SOA);
    assertThat(soa.answers())
        .singleElement()
        .isInstanceOfSatisfying(
            ZoneRecord.Soa.class,
            s -> {
              assertThat(s.primary()).isEqualTo("ns.dns.cluster.local.");
              assertThat(s.serial()).isEqualTo(zone.serial());
            });
    assertThat(zone.lookup("web.default.svc.cluster.local.", ANY).answers()).hasSize(1);
  }

  @Test
  void deprecatedPodRecords() {
    put(WEB, web, null);
    assertThat(zone.lookup("127-0-10-7.default.pod.cluster.local.", A).answers())
        .containsExactly(
            new ZoneRecord.A("127-0-10-7.default.pod.cluster.local.", ip("127.0.10.7")));
    assertThat(zone.lookup("127-0-10-300.default.pod.cluster.local.", A).rcode())
        .isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void outsideTheZoneIsRefusedAndBeforeTheFirstSnapshotTheZoneIsServfail() {
    assertThat(zone.ready()).isFalse();
    assertThat(zone.lookup("web.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.SERVFAIL);
    assertThat(zone.lookup("example.com.", A).rcode()).isEqualTo(Rcode.REFUSED);
    zone = zone.update(1, Map.of());
    assertThat(zone.ready()).isTrue();
    assertThat(zone.lookup("web.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.lookup("example.com.", A).rcode()).isEqualTo(Rcode.REFUSED);
    assertThat(zone.lookup("local.", A).rcode()).isEqualTo(Rcode.REFUSED);
    assertThat(zone.lookup("notcluster.local.", A).rcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  void updatesReplaceAndRemoveAServiceAndLeaveTheOldSnapshotAlone() {
    put(WEB, web, null);
    DnsZone before = zone;
    put(
        WEB,
        web.toBuilder().setSpec(web.getSpec().toBuilder().setClusterIp("127.96.0.11")).build(),
        null);
    assertThat(zone.lookup("web.default.svc.cluster.local.", A).answers())
        .containsExactly(new ZoneRecord.A("web.default.svc.cluster.local.", ip("127.96.0.11")));
    assertThat(zone.lookup("10.0.96.127.in-addr.arpa.", PTR).rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.lookup("11.0.96.127.in-addr.arpa.", PTR).answers()).hasSize(1);
    assertThat(before.lookup("web.default.svc.cluster.local.", A).answers())
        .containsExactly(new ZoneRecord.A("web.default.svc.cluster.local.", ip("127.96.0.10")));
    assertThat(zone.serial()).isGreaterThan(before.serial());

    remove(WEB);
    assertThat(zone.lookup("web.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.lookup("default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.lookup("11.0.96.127.in-addr.arpa.", PTR).rcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(zone.serviceCount()).isZero();
  }

  @Test
  void anEndpointOfTwoHeadlessServicesHasTwoPointersUntilOneGoes() {
    ServiceName db2 = new ServiceName("default", "db2");
    put(DB, db, dbEndpoints);
    put(
        db2,
        service("db2", spec("ClusterIP", "None")),
        endpoints("db2", endpoint("127.0.10.1", "n1", true, true, false)));
    assertThat(zone.lookup("1.10.0.127.in-addr.arpa.", PTR).answers()).hasSize(2);
    remove(DB);
    assertThat(zone.lookup("1.10.0.127.in-addr.arpa.", PTR).answers())
        .containsExactly(
            new ZoneRecord.Ptr(
                "1.10.0.127.in-addr.arpa.", "127-0-10-1.db2.default.svc.cluster.local."));
  }

  @Test
  void endpointsWithoutAServiceHaveNoRecordsAndUnallocatedClusterIpsNone() {
    put(DB, null, dbEndpoints);
    assertThat(zone.lookup("db.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
    put(WEB, web.toBuilder().setSpec(web.getSpec().toBuilder().setClusterIp("")).build(), null);
    assertThat(zone.lookup("web.default.svc.cluster.local.", A).rcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void anotherZoneAndTtl() {
    zone = DnsZone.empty("Example.Internal.", 30, "10.96.0.0/12");
    put(
        WEB,
        web.toBuilder().setSpec(web.getSpec().toBuilder().setClusterIp("10.96.0.10")).build(),
        null);
    assertThat(zone.origin()).isEqualTo("example.internal.");
    assertThat(zone.ttlSeconds()).isEqualTo(30);
    assertThat(zone.lookup("web.default.svc.example.internal", A).answers()).hasSize(1);
    assertThat(zone.lookup("web.default.svc.cluster.local", A).rcode()).isEqualTo(Rcode.REFUSED);
    assertThat(zone.lookup("10.0.96.10.in-addr.arpa.", PTR).answers()).hasSize(1);
  }

  @Test
  void badArguments() {
    assertThatThrownBy(() -> DnsZone.empty("cluster.local", -1, "10.96.0.0/12"))
        .hasMessage("ttlSeconds: -1 (expected: >= 0)");
    assertThatThrownBy(() -> DnsZone.empty("cluster.local", 5, "10.96.0.0"))
        .hasMessage("serviceCidr: 10.96.0.0 (expected: an IPv4 CIDR, e.g. 10.96.0.0/12)");
  }

  private static Inet4Address ip(String literal) {
    try {
      return (Inet4Address) InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
