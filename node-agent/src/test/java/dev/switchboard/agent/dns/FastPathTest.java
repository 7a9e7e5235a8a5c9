package dev.switchboard.agent.dns;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.Endpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link FastPath}'s answers are byte for byte what Netty's codec path sends: the same zone on
 * two servers, one with the fast path and one without, asked the same datagrams. Each query goes
 * twice to the fast server (the first answer of a name comes from the codec path and fills the fast
 * path's table), and odd queries must never be answered by the fast path.
 */
@Timeout(60)
class FastPathTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final String ZONE = ".default.svc.cluster.local";
  private static final int A = 1;
  private static final int PTR = 12;
  private static final int TXT = 16;
  private static final int AAAA = 28;
  private static final int SRV = 33;

  private static DnsServer fast;
  private static DnsServer codec;
  private static DatagramSocket socket;

  @BeforeAll
  static void start() throws IOException {
    fast = start(true);
    codec = start(false);
    socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
    socket.setSoTimeout(2000);
  }

  @AfterAll
  static void stop() {
    if (socket != null) {
      socket.close();
    }
    if (fast != null) {
      fast.close();
    }
    if (codec != null) {
      codec.close();
    }
  }

  private static DnsServer start(boolean fastPath) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) { // a free port may be taken before we bind it
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
        port = s.getLocalPort();
      }
      try {
        DnsServer server =
            DnsServer.start(
                new DnsConfig(port, "cluster.local", 5),
                LOOPBACK,
                "127.96.0.0/16",
                "fast-path-test",
                Telemetry.disabled(),
                fastPath);
        server.update(1, zone());
        return server;
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  private static Map<ServiceName, ChangeTracker.Change<ServiceView>> zone() {
    Map<ServiceName, ChangeTracker.Change<ServiceView>> changes = new HashMap<>();
    add(
        changes,
        "redis",
        new ServiceView(
            service(
                "redis", spec("ClusterIP", "127.96.0.10").addPorts(port("redis", "TCP", 6379, 0))),
            null));
    Endpoint[] db = new Endpoint[3];
    for (int i = 0; i < db.length; i++) {
      db[i] = endpoint("127.0.41." + (i + 1), "n1", true, true, false, endpointPort("pg", 5432));
    }
    add(
        changes,
        "db",
        new ServiceView(
            service("db", spec("ClusterIP", "None").addPorts(port("pg", "TCP", 5432, 0))),
            endpoints("db", db)));
    Endpoint[] big = new Endpoint[100];
    for (int i = 0; i < big.length; i++) {
      big[i] = endpoint("127.0.40." + (i + 1), "n1", true, true, false, endpointPort("http", 80));
    }
    add(
        changes,
        "big",
        new ServiceView(
            service("big", spec("ClusterIP", "None").addPorts(port("http", "TCP", 80, 0))),
            endpoints("big", big)));
    return changes;
  }

  private static void add(
      Map<ServiceName, ChangeTracker.Change<ServiceView>> changes, String name, ServiceView view) {
    changes.put(
        new ServiceName("default", name), new ChangeTracker.Change<>(ServiceView.ABSENT, view));
  }

  @Test
  void cacheHitsAreAnsweredByTheFastPathWithTheCodecPathsBytes() throws IOException {
    Object[][] table = {
      // name, type, EDNS0 payload (-1: none), what it shows
      {"redis" + ZONE, A, -1, "A"},
      {"redis" + ZONE, A, 1232, "A, EDNS0"},
      {"redis" + ZONE, AAAA, -1, "AAAA NODATA"},
      {"redis" + ZONE, AAAA, 4096, "AAAA NODATA, EDNS0"},
      {"db" + ZONE, A, -1, "headless A"},
      {"_pg._tcp.db" + ZONE, SRV, -1, "headless SRV, targets in additional"},
      {"_redis._tcp.redis" + ZONE, SRV, 1232, "SRV, EDNS0"},
      {"10.0.96.127.in-addr.arpa", PTR, -1, "PTR"},
      {"nope" + ZONE, A, -1, "NXDOMAIN"},
      {"nope" + ZONE, A, 512, "NXDOMAIN, EDNS0"},
      {"dns-version.cluster.local", TXT, -1, "TXT dns-version"},
      {"ReDiS.DeFaULT.svc.Cluster.LOCAL", A, -1, "mixed case (0x20)"},
      {"big" + ZONE, A, -1, "TC at 512"},
      {"big" + ZONE, A, 1232, "TC at 1232"},
      {"big" + ZONE, A, 700, "TC at 700"},
      {"big" + ZONE, A, 100, "TC, a payload under 512 counts as 512"},
      {"_http._tcp.big" + ZONE, SRV, -1, "additional cut, no TC"},
      {"_http._tcp.big" + ZONE, SRV, 1232, "additional cut, EDNS0"},
      {"127-0-40-7.big" + ZONE, A, 1232, "a headless endpoint"},
    };
    int id = 100;
    for (Object[] row : table) {
      byte[] q = query(++id, 0x0100, (String) row[0], (int) row[1], (int) row[2]);
      byte[] expected = ask(codec, q);
      assertThat(expected).as("%s: codec path answers", row[3]).isNotNull();
      ask(fast, q); // the codec path's answer, which the fast path then knows
      long before = fast.fastAnswers();
      assertThat(hex(ask(fast, q))).as((String) row[3]).isEqualTo(hex(expected));
      assertThat(fast.fastAnswers())
          .as("%s: answered by the fast path", row[3])
          .isEqualTo(before + 1);
    }
    // RD clear, class ANY, a DO bit with options in the OPT record, another 0x20 spelling
    byte[][] variants = {
      query(201, 0x0000, "redis" + ZONE, A, -1),
      withClass(query(202, 0x0100, "redis" + ZONE, A, -1), 255),
      query(203, 0x0120, "redis" + ZONE, A, 1232, true),
      query(204, 0x0100, "rEDIS.default.SVC.cluster.local", A, 1232, true),
    };
    for (byte[] q : variants) {
      long before = fast.fastAnswers();
      assertThat(hex(ask(fast, q))).isEqualTo(hex(ask(codec, q)));
      assertThat(fast.fastAnswers()).isEqualTo(before + 1);
    }
    byte[] mixed = ask(fast, query(205, 0x0100, "ReDiS" + ZONE, A, -1));
    assertThat(new String(mixed, 13, 5, StandardCharsets.US_ASCII)).isEqualTo("ReDiS");
  }

  @Test
  void oddQueriesGoToTheCodecPath() throws IOException {
    byte[] plain = query(300, 0x0100, "redis" + ZONE, A, -1);
    ask(fast, plain); // known to the fast path from here on
    byte[] compressed = Arrays.copyOf(plain, 12 + 2 + 4);
    compressed[12] = (byte) 0xc0;
    compressed[13] = 12; // a pointer to itself
    System.arraycopy(plain, plain.length - 4, compressed, 14, 4);
    byte[] twoQuestions = plain.clone();
    twoQuestions[5] = 2;
    byte[] trailing = Arrays.copyOf(plain, plain.length + 1);
    byte[] notQuery = plain.clone();
    notQuery[2] = (byte) 0x80;
    byte[] status = plain.clone();
    status[2] = (byte) (2 << 3); // opcode STATUS
    byte[] chaos = withClass(plain, 3);
    byte[] answerRecord = plain.clone();
    answerRecord[7] = 1; // an answer count with no answer
    byte[] optCut = Arrays.copyOf(query(301, 0x0100, "redis" + ZONE, A, 1232), plain.length + 9);
    byte[] dotInLabel = query(302, 0x0100, "re_dis" + ZONE, A, -1);
    dotInLabel[15] = '.'; // "re.dis" as one label
    byte[] tooLong = query(303, 0x0100, ("x".repeat(63) + ".").repeat(4) + "cluster.local", A, -1);
    byte[][] odd = {
      compressed,
      twoQuestions,
      trailing,
      notQuery,
      status,
      chaos,
      answerRecord,
      optCut,
      dotInLabel,
      tooLong,
      Arrays.copyOf(plain, 11),
      Arrays.copyOf(plain, plain.length - 2),
    };
    long before = fast.fastAnswers();
    for (byte[] q : odd) {
      byte[] fromCodec = ask(codec, q);
      byte[] fromFast = ask(fast, q);
      assertThat(fromFast == null ? null : hex(fromFast))
          .isEqualTo(fromCodec == null ? null : hex(fromCodec));
    }
    assertThat(fast.fastAnswers()).isEqualTo(before);
    // and the fast path still answers
    assertThat(hex(ask(fast, plain))).isEqualTo(hex(ask(codec, plain)));
    assertThat(fast.fastAnswers()).isEqualTo(before + 1);
  }

  @Test
  void aNewZoneEmptiesTheFastPathsTable() throws IOException {
    byte[] q = query(400, 0x0100, "later" + ZONE, A, -1);
    ask(fast, q);
    assertThat(ask(fast, q)[3] & 0x0f).isEqualTo(3); // NXDOMAIN, now from the fast path
    ServiceView later =
        new ServiceView(
            service("later", spec("ClusterIP", "127.96.0.11").addPorts(port("x", "TCP", 1, 0))),
            null);
    Map<ServiceName, ChangeTracker.Change<ServiceView>> change = new HashMap<>();
    add(change, "later", later);
    fast.update(2, change);
    codec.update(2, change);
    byte[] answer = ask(fast, q);
    assertThat(answer[3] & 0x0f).isZero();
    assertThat(hex(answer)).isEqualTo(hex(ask(codec, q)));
  }

  private static byte[] ask(DnsServer server, byte[] query) throws IOException {
    socket.send(new DatagramPacket(query, query.length, server.address()));
    byte[] buf = new byte[4096];
    DatagramPacket reply = new DatagramPacket(buf, buf.length);
    try {
      socket.setSoTimeout(query.length < 12 || (query[2] & 0x80) != 0 ? 300 : 2000);
      socket.receive(reply);
    } catch (SocketTimeoutException e) {
      return null;
    }
    return Arrays.copyOf(buf, reply.getLength());
  }

  static byte[] query(int id, int flags, String name, int type, int payload) {
    return query(id, flags, name, type, payload, false);
  }

  /** A query as a resolver sends it; {@code cookie}: DO set and a COOKIE option, as dig sends. */
  static byte[] query(int id, int flags, String name, int type, int payload, boolean cookie) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        new byte[] {
          (byte) (id >> 8),
          (byte) id,
          (byte) (flags >> 8),
          (byte) flags,
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          (byte) (payload < 0 ? 0 : 1)
        });
    for (String label : name.split("\\.")) {
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      out.write(b.length);
      out.writeBytes(b);
    }
    out.writeBytes(new byte[] {0, 0, (byte) type, 0, 1});
    if (payload >= 0) {
      out.writeBytes(
          new byte[] {
            0, 0, 41, (byte) (payload >> 8), (byte) payload, 0, 0, (byte) (cookie ? 0x80 : 0), 0
          });
      if (cookie) {
        out.writeBytes(new byte[] {0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
      } else {
        out.writeBytes(new byte[] {0, 0});
      }
    }
    return out.toByteArray();
  }

  /** {@code query} with its question's class replaced (no OPT record in it). */
  private static byte[] withClass(byte[] query, int dnsClass) {
    byte[] q = query.clone();
    q[q.length - 2] = (byte) (dnsClass >> 8);
    q[q.length - 1] = (byte) dnsClass;
    return q;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
