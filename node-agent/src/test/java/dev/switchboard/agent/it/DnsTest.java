package dev.switchboard.agent.it;

import static dev.switchboard.agent.it.AgentCluster.WAIT;
import static dev.switchboard.agent.it.AgentCluster.pod;
import static dev.switchboard.agent.it.AgentCluster.port;
import static dev.switchboard.agent.it.AgentCluster.service;
import static dev.switchboard.agent.it.Dig.dig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.agent.NodeAgent;
import dev.switchboard.agent.dns.DnsConfig;
import dev.switchboard.agent.dns.DnsServer;
import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster DNS end to end: a real control plane on a real etcd, a real agent serving DNS on
 * 127.0.1.53, and BIND's {@code dig} as the client (a real resolver, not our codec), for every kind
 * of record, negative answers, truncation, updates, malformed packets and a control plane that goes
 * away.
 */
@Timeout(120)
class DnsTest {
  private static final String NODE = "dns-n1";
  private static final String NODE_IP = "127.0.1.53";
  private static final String ZONE = "cluster.local";
  private static final int BIG_ENDPOINTS = 100; // 16 bytes each (owner compressed): over 1232
  private static final String UPSTREAM_IP = "127.0.1.54";

  private static EtcdProcess etcd;
  private static AgentCluster cluster;
  private static NodeAgent agent;
  private static InetSocketAddress dns;

  /** redis-master: a ClusterIP service with a named TCP port, served by a real backend. */
  private static Service redis;

  private static TcpBackend redisBackend;
  private static DnsServer upstream;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    // Real metrics (Prometheus at /metrics), no export.
    cluster =
        new AgentCluster(
            etcd, component -> Telemetry.configure("switchboard-" + component, Map.of()));
    cluster.startControlPlane();
    upstream = startUpstream();
    agent =
        cluster.startAgent(
            NODE,
            NODE_IP,
            new DnsConfig(Net.freePort(NODE_IP), ZONE, 5, List.of(upstream.address())));
    dns = agent.dns().address();

    redisBackend = new TcpBackend("redis-1", "127.0.30.1");
    redis =
        cluster.apply(
            service(
                "redis-master",
                "ClusterIP",
                port("redis", "TCP", 6000 + ThreadLocalRandom.current().nextInt(1000), 0)));
    long version =
        cluster
            .apply(
                pod(
                    "redis-1",
                    "redis-master",
                    "127.0.30.1",
                    NODE,
                    "redis",
                    "TCP",
                    redisBackend.port()))
            .getMetadata()
            .getResourceVersion();

    Service.Builder db = service("db", "ClusterIP", port("pg", "TCP", 5432, 0));
    db.getSpecBuilder().setClusterIp("None");
    cluster.apply(db);
    cluster.apply(pod("db-1", "db", "127.0.31.1", NODE, "pg", "TCP", 15432));
    cluster.apply(pod("db-2", "db", "127.0.31.2", NODE, "pg", "TCP", 15433));
    Pod unready = pod("db-3", "db", "127.0.31.3", NODE, "pg", "TCP", 15434);
    cluster.apply(
        unready.toBuilder()
            .setStatus(PodStatus.newBuilder().setPodIp("127.0.31.3").setReady(false))
            .build());

    Service.Builder big = service("big", "ClusterIP", port("http", "TCP", 80, 0));
    big.getSpecBuilder().setClusterIp("None");
    cluster.apply(big);
    for (int i = 1; i <= BIG_ENDPOINTS; i++) {
      version =
          cluster
              .apply(pod("big-" + i, "big", "127.0.32." + i, NODE, "http", "TCP", 8080))
              .getMetadata()
              .getResourceVersion();
    }
    cluster.awaitProgrammed(version);
  }

  /**
   * Another DNS server, authoritative for {@code upstream.test} with one service: the agent's
   * upstream. (Any resolver would do; this one needs nothing installed.)
   */
  private static DnsServer startUpstream() {
    try {
      DnsServer server =
          DnsServer.start(
              new DnsConfig(Net.freePort(UPSTREAM_IP), "upstream.test", 7),
              Net.ip(UPSTREAM_IP),
              "10.1.0.0/16",
              "upstream",
              Telemetry.disabled());
      Service web =
          Service.newBuilder()
              .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web"))
              .setSpec(ServiceSpec.newBuilder().setClusterIp("10.1.2.3"))
              .build();
      server.update(
          1,
          Map.of(
              new ServiceName("default", "web"),
              new ChangeTracker.Change<>(ServiceView.ABSENT, new ServiceView(web, null))));
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (upstream != null) {
      upstream.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (redisBackend != null) {
      redisBackend.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  private static String name(String service) {
    return service + ".default.svc." + ZONE + ".";
  }

  @Test
  void aRecordOfAService() {
    Dig.Result r = dig(dns, name("redis-master"), "A");
    assertThat(r.status()).as(r.output()).isEqualTo("NOERROR");
    assertThat(r.flags()).contains("qr", "aa");
    assertThat(r.answer())
        .singleElement()
        .satisfies(
            rr -> {
              assertThat(rr.name()).isEqualTo(name("redis-master"));
              assertThat(rr.ttl()).isEqualTo(5);
              assertThat(rr.data()).isEqualTo(redis.getSpec().getClusterIp());
            });
    // over TCP too, and in any case
    assertThat(dig(dns, "+tcp", "REDIS-Master.Default.SVC.Cluster.Local", "A").data("A"))
        .containsExactly(redis.getSpec().getClusterIp());
  }

  @Test
  void headlessServiceAnswersItsReadyEndpoints() {
    Dig.Result r = dig(dns, name("db"), "A");
    assertThat(r.status()).as(r.output()).isEqualTo("NOERROR");
    assertThat(r.data("A")).containsExactlyInAnyOrder("127.0.31.1", "127.0.31.2");
    assertThat(dig(dns, "127-0-31-2." + name("db"), "A").data("A")).containsExactly("127.0.31.2");
    assertThat(dig(dns, "127-0-31-3." + name("db"), "A").status()).isEqualTo("NXDOMAIN");
  }

  @Test
  void srvRecordsOfNamedPorts() {
    int port = redis.getSpec().getPorts(0).getPort();
    Dig.Result r = dig(dns, "_redis._tcp." + name("redis-master"), "SRV");
    assertThat(r.status()).as(r.output()).isEqualTo("NOERROR");
    assertThat(r.data("SRV")).containsExactly("0 100 " + port + " " + name("redis-master"));
    assertThat(r.additional()).extracting(Dig.Rr::data).contains(redis.getSpec().getClusterIp());

    Dig.Result headless = dig(dns, "_pg._tcp." + name("db"), "SRV");
    assertThat(headless.data("SRV"))
        .containsExactlyInAnyOrder(
            "0 50 15432 127-0-31-1." + name("db"), "0 50 15433 127-0-31-2." + name("db"));
  }

  @Test
  void ptrRecordsOfClusterIpsAndHeadlessEndpoints() {
    Dig.Result r = dig(dns, "-x", redis.getSpec().getClusterIp());
    assertThat(r.status()).as(r.output()).isEqualTo("NOERROR");
    assertThat(r.data("PTR")).containsExactly(name("redis-master"));
    assertThat(dig(dns, "-x", "127.0.31.1").data("PTR"))
        .containsExactly("127-0-31-1." + name("db"));
    assertThat(dig(dns, "-x", "127.96.255.254").status()).isEqualTo("NXDOMAIN"); // in the CIDR
  }

  @Test
  void nxdomainForMissingNamesNodataForMissingTypesRefusedOutside() {
    Dig.Result nx = dig(dns, name("nope"), "A");
    assertThat(nx.status()).as(nx.output()).isEqualTo("NXDOMAIN");
    assertThat(nx.flags()).contains("aa");
    assertThat(nx.authority())
        .singleElement()
        .satisfies(
            soa -> {
              assertThat(soa.type()).isEqualTo("SOA");
              assertThat(soa.name()).isEqualTo(ZONE + ".");
              assertThat(soa.data()).startsWith("ns.dns." + ZONE + ". hostmaster." + ZONE + ". ");
            });

    Dig.Result nodata = dig(dns, name("redis-master"), "AAAA");
    assertThat(nodata.status()).as(nodata.output()).isEqualTo("NOERROR");
    assertThat(nodata.answer()).isEmpty();
    assertThat(nodata.authority()).extracting(Dig.Rr::type).containsExactly("SOA");
    assertThat(dig(dns, "default.svc." + ZONE, "A").status()).isEqualTo("NOERROR");

    assertThat(dig(dns, "dns-version." + ZONE, "TXT").data("TXT")).containsExactly("\"1.1.0\"");
    assertThat(dig(dns, ZONE, "SOA").data("SOA")).hasSize(1);
    assertThat(dig(dns, "example.com", "A").status()).isEqualTo("REFUSED");
  }

  @Test
  void namesOutsideTheZoneGoToTheUpstreamAndServfailWhenNoneAnswers() throws IOException {
    String web = "web.default.svc.upstream.test.";
    Dig.Result udp = dig(dns, web, "A");
    assertThat(udp.status()).as(udp.output()).isEqualTo("NOERROR");
    assertThat(udp.answer())
        .singleElement()
        .satisfies(
            rr -> {
              assertThat(rr.data()).isEqualTo("10.1.2.3");
              assertThat(rr.ttl()).isEqualTo(7); // the upstream's answer, as it came
            });
    assertThat(dig(dns, "+tcp", web, "A").data("A")).containsExactly("10.1.2.3");
    assertThat(dig(dns, "nope.default.svc.upstream.test", "A").status()).isEqualTo("NXDOMAIN");
    assertThat(dig(dns, "+noedns", web, "A").data("A")).containsExactly("10.1.2.3");

    // An upstream nobody listens on: SERVFAIL once the wait (1.5 s) is over.
    InetSocketAddress nobody =
        new InetSocketAddress(Net.ip("127.0.1.55"), Net.freePort("127.0.1.55"));
    try (DnsServer lonely =
        DnsServer.start(
            new DnsConfig(Net.freePort("127.0.1.56"), ZONE, 5, List.of(nobody)),
            Net.ip("127.0.1.56"),
            "127.96.0.0/16",
            "lonely",
            Telemetry.disabled())) {
      Dig.Result failed = dig(lonely.address(), "+time=5", "example.org", "A");
      assertThat(failed.status()).as(failed.output()).isEqualTo("SERVFAIL");
    }
  }

  @Test
  void aLargeAnswerIsTruncatedOverUdpAndWholeOverTcp() {
    Dig.Result udp = dig(dns, "+notcp", "+ignore", name("big"), "A");
    assertThat(udp.flags()).as(udp.output()).contains("tc");
    assertThat(udp.answer()).hasSizeBetween(1, BIG_ENDPOINTS - 1); // what fits in 1232 bytes
    Dig.Result small = dig(dns, "+notcp", "+ignore", "+noedns", name("big"), "A");
    assertThat(small.flags()).contains("tc");
    assertThat(small.answer().size()).isLessThan(udp.answer().size()); // 512 bytes without EDNS0

    Dig.Result tcp = dig(dns, "+tcp", name("big"), "A");
    assertThat(tcp.flags()).as(tcp.output()).doesNotContain("tc");
    assertThat(tcp.data("A")).hasSize(BIG_ENDPOINTS);
    // dig's default: UDP, and TCP again on TC
    Dig.Result retried = dig(dns, name("big"), "A");
    assertThat(retried.output()).contains("Truncated, retrying in TCP mode");
    assertThat(retried.data("A")).hasSize(BIG_ENDPOINTS);
  }

  @Test
  void aNameFollowsItsServiceThroughCreateAndDelete() {
    String late = name("late");
    assertThat(dig(dns, late, "A").status()).isEqualTo("NXDOMAIN");
    Service created = cluster.apply(service("late", "ClusterIP", port("http", "TCP", 80, 0)));
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () ->
                assertThat(dig(dns, late, "A").data("A"))
                    .containsExactly(created.getSpec().getClusterIp()));
    cluster
        .admin()
        .deleteService(DeleteRequest.newBuilder().setNamespace("default").setName("late").build());
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(dig(dns, late, "A").status()).isEqualTo("NXDOMAIN"));
  }

  @Test
  void guestbookStyleAPodResolvesRedisMasterAndConnectsThroughTheClusterIp() {
    String ip = dig(dns, name("redis-master"), "A").data("A").get(0);
    assertThat(Net.ask(Net.addr(ip, redis.getSpec().getPorts(0).getPort()))).isEqualTo("redis-1");
  }

  @Test
  void answersKeepComingWhileTheControlPlaneIsAway() {
    cluster.stopControlPlane();
    try {
      await().atMost(WAIT).until(() -> !agent.connected());
      assertThat(dig(dns, name("redis-master"), "A").data("A"))
          .containsExactly(redis.getSpec().getClusterIp());
      assertThat(dig(dns, "+tcp", name("big"), "A").data("A")).hasSize(BIG_ENDPOINTS);
    } finally {
      cluster.startControlPlane();
      await().atMost(WAIT).until(agent::connected);
    }
  }

  @Test
  void malformedPacketsGetFormerrOrAreDroppedAndTheServerKeepsAnswering() throws Exception {
    long malformedBefore = agent.dns().malformed();
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(Net.ip("127.0.0.1"), 0))) {
      s.setSoTimeout(500);
      // a truncated header: too short to answer
      assertThat(send(s, new byte[] {0x12, 0x34, 0x01, 0x00, 0x00})).isNull();
      // a compression pointer to itself
      byte[] loop =
          concat(header(0x1111, 0x0100, 1, 0), new byte[] {(byte) 0xc0, 0x0c, 0, 1, 0, 1});
      assertFormerr(send(s, loop), 0x1111);
      // a header announcing a question that is not there
      assertFormerr(send(s, header(0x2222, 0x0100, 1, 0)), 0x2222);
      // no question at all, and 100 of them
      assertFormerr(send(s, header(0x3333, 0x0100, 0, 0)), 0x3333);
      ByteArrayOutputStream hundred = new ByteArrayOutputStream();
      hundred.write(header(0x4444, 0x0100, 100, 0));
      for (int i = 0; i < 100; i++) {
        hundred.write(question(name("redis-master")));
      }
      assertFormerr(send(s, hundred.toByteArray()), 0x4444);
      // a response (QR set) sent to us: never answered
      assertThat(send(s, concat(header(0x5555, 0x8180, 1, 0), question(name("db"))))).isNull();
      // random bytes: whatever they decode to, the server must survive them (bounded: 200)
      Random random = new Random(13);
      for (int i = 0; i < 200; i++) {
        byte[] junk = new byte[random.nextInt(64)];
        random.nextBytes(junk);
        s.send(new DatagramPacket(junk, junk.length, dns));
      }
    }
    // over TCP: a frame that is not a query closes that connection, nothing else
    try (Socket tcp = new Socket()) {
      tcp.connect(dns, 2000);
      tcp.setSoTimeout(5000);
      tcp.getOutputStream().write(new byte[] {0, 5, 1, 2, 3, 4, 5});
      tcp.getOutputStream().flush();
      InputStream in = tcp.getInputStream();
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThat(agent.dns().malformed()).isGreaterThan(malformedBefore);
    assertThat(dig(dns, name("redis-master"), "A").data("A"))
        .containsExactly(redis.getSpec().getClusterIp());
    assertThat(dig(dns, "+tcp", name("redis-master"), "A").data("A"))
        .containsExactly(redis.getSpec().getClusterIp());
  }

  @Test
  void coreDnsNamedMetricsCountQueriesByTypeAndResponsesByCode() {
    String url = "/metrics";
    Map<String, Double> before = PrometheusText.parse(Net.get(agent.adminAddress(), url).body());
    long fastBefore = agent.dns().fastAnswers();
    dig(dns, name("redis-master"), "A");
    dig(dns, name("redis-master"), "A"); // the second (and third) from the UDP fast path
    dig(dns, name("Redis-Master"), "A");
    dig(dns, name("nope"), "SRV");
    dig(dns, name("nope"), "SRV");
    dig(dns, "+tcp", name("nope"), "SRV");
    assertThat(agent.dns().fastAnswers() - fastBefore).isGreaterThanOrEqualTo(3);
    Map<String, Double> after = PrometheusText.parse(Net.get(agent.adminAddress(), url).body());
    String udpA = "coredns_dns_requests_total{proto=\"udp\",type=\"A\"}";
    String tcpSrv = "coredns_dns_requests_total{proto=\"tcp\",type=\"SRV\"}";
    String nx = "coredns_dns_responses_total{rcode=\"NXDOMAIN\"}";
    assertThat(after.get(udpA) - before.getOrDefault(udpA, 0.0))
        .as(after.keySet().toString())
        .isGreaterThanOrEqualTo(3.0);
    String udpSrv = "coredns_dns_requests_total{proto=\"udp\",type=\"SRV\"}";
    assertThat(after.get(udpSrv) - before.getOrDefault(udpSrv, 0.0)).isGreaterThanOrEqualTo(2.0);
    String noerror = "coredns_dns_responses_total{rcode=\"NOERROR\"}";
    assertThat(after.get(noerror) - before.getOrDefault(noerror, 0.0)).isGreaterThanOrEqualTo(3.0);
    String udpLatency = "coredns_dns_request_duration_seconds_count{proto=\"udp\"}";
    assertThat(after.get(udpLatency) - before.getOrDefault(udpLatency, 0.0))
        .as(after.keySet().toString())
        .isGreaterThanOrEqualTo(5.0);
    assertThat(after.get(tcpSrv) - before.getOrDefault(tcpSrv, 0.0)).isGreaterThanOrEqualTo(1.0);
    assertThat(after.get(nx) - before.getOrDefault(nx, 0.0)).isGreaterThanOrEqualTo(3.0);
    assertThat(after.keySet())
        .anyMatch(k -> k.startsWith("coredns_dns_request_duration_seconds_bucket{"));
  }

  /**
   * 200 queries sent at once from one socket, then read: every one answered, by its id. (200 fit
   * the kernel's default UDP receive buffer even where net.core.rmem_max keeps it at ~208 KiB.)
   */
  @Test
  void manyQuestionsInFlight() throws Exception {
    int count = 200;
    java.util.Set<Integer> unanswered = new java.util.HashSet<>();
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(Net.ip("127.0.0.1"), 0))) {
      s.setReceiveBufferSize(1 << 20);
      s.setSoTimeout(5000);
      for (int id = 1; id <= count; id++) {
        byte[] q = concat(header(id, 0x0100, 1, 0), question(name("redis-master")));
        s.send(new DatagramPacket(q, q.length, dns));
        unanswered.add(id);
      }
      byte[] buf = new byte[2048];
      for (int i = 0; i < count && !unanswered.isEmpty(); i++) { // bounded: one receive per query
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        try {
          s.receive(reply);
        } catch (SocketTimeoutException e) {
          break;
        }
        assertThat(buf[3] & 0x0f).as("RCODE").isZero();
        unanswered.remove(((buf[0] & 0xff) << 8) | (buf[1] & 0xff));
      }
    }
    assertThat(unanswered).isEmpty();
  }

  /**
   * Sends a datagram and returns the reply, or null when none comes within the socket's timeout.
   */
  private static byte[] send(DatagramSocket s, byte[] packet) throws IOException {
    s.send(new DatagramPacket(packet, packet.length, dns));
    byte[] buf = new byte[2048];
    DatagramPacket reply = new DatagramPacket(buf, buf.length);
    try {
      s.receive(reply);
    } catch (SocketTimeoutException e) {
      return null;
    }
    byte[] out = new byte[reply.getLength()];
    System.arraycopy(buf, 0, out, 0, out.length);
    return out;
  }

  /** The reply is a response to {@code id} with RCODE 1 (FORMERR), read byte by byte. */
  private static void assertFormerr(byte[] reply, int id) {
    assertThat(reply).isNotNull();
    assertThat(((reply[0] & 0xff) << 8) | (reply[1] & 0xff)).isEqualTo(id);
    assertThat(reply[2] & 0x80).as("QR").isEqualTo(0x80);
    assertThat(reply[3] & 0x0f).as("RCODE").isEqualTo(1);
  }

  private static byte[] header(int id, int flags, int questions, int additional) {
    return new byte[] {
      (byte) (id >> 8),
      (byte) id,
      (byte) (flags >> 8),
      (byte) flags,
      (byte) (questions >> 8),
      (byte) questions,
      0,
      0,
      0,
      0,
      (byte) (additional >> 8),
      (byte) additional
    };
  }

  private static byte[] question(String name) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String label : name.split("\\.")) {
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      out.write(b.length);
      out.writeBytes(b);
    }
    out.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, type A, class IN
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    List<Byte> all = new ArrayList<>();
    for (byte[] p : parts) {
      for (byte b : p) {
        all.add(b);
      }
    }
    byte[] out = new byte[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }
}
