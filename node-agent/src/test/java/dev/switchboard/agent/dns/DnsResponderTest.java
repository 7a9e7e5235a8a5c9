package dev.switchboard.agent.dns;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.port;
import static dev.switchboard.agent.Protos.service;
import static dev.switchboard.agent.Protos.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.dns.DefaultDnsQuery;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wire rules of {@link DnsResponder}, sizes checked against what Netty's encoder really writes
 * (the end-to-end tests read the answers with dig).
 */
@Timeout(10)
class DnsResponderTest {
  private static final String BIG = "big.default.svc.cluster.local.";
  private static final int ENDPOINTS = 100;

  private final DnsZone zone;
  private DnsQuery query;
  private DnsResponse response;

  DnsResponderTest() {
    Endpoints.Builder e =
        Endpoints.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("big"));
    for (int i = 1; i <= ENDPOINTS; i++) {
      e.addEndpoints(endpoint("127.0.40." + i, "n1", true, true, false, endpointPort("http", 80)));
    }
    zone =
        DnsZone.empty("cluster.local", 5, "127.96.0.0/16")
            .update(
                1,
                Map.of(
                    new ServiceName("default", "big"),
                    new ServiceView(
                        service(
                            "big", spec("ClusterIP", "None").addPorts(port("http", "TCP", 80, 0))),
                        e.build())));
  }

  @AfterEach
  void release() {
    if (query != null) {
      query.release();
      query = null;
    }
    if (response != null) {
      response.release();
      response = null;
    }
  }

  private DnsQuery query(String name, DnsRecordType type, int payload) {
    query = new DefaultDnsQuery(7, DnsOpCode.QUERY);
    query.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, type));
    if (payload >= 0) {
      query.addRecord(
          DnsSection.ADDITIONAL,
          new DefaultDnsRawRecord("", DnsRecordType.OPT, payload, 0, Unpooled.EMPTY_BUFFER));
    }
    return query;
  }

  private DnsResponder.Outcome answer(DnsQuery q, boolean udp) {
    response = new DefaultDnsResponse(q.id(), q.opCode());
    return DnsResponder.answer(zone, q, response, udp);
  }

  /** The response's size on the wire, as Netty's TCP encoder writes it (minus the length). */
  private int encodedSize() {
    EmbeddedChannel channel = new EmbeddedChannel(new TcpDnsResponseEncoder(WireCodec.ENCODER));
    channel.writeOutbound(response.retain());
    ByteBuf out = channel.readOutbound();
    try {
      return out.readableBytes() - 2;
    } finally {
      out.release();
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void udpAnswersAreCutToThePayloadSizeWithTc() {
    // payload asked → limit: none → 512; small → 512; 1232 → 1232; large → capped at 1232
    int[][] cases = {{-1, 512}, {100, 512}, {1232, 1232}, {4096, 1232}};
    for (int[] c : cases) {
      DnsResponder.Outcome outcome = answer(query(BIG, DnsRecordType.A, c[0]), true);
      assertThat(outcome.truncated()).isTrue();
      assertThat(response.isTruncated()).isTrue();
      int size = encodedSize();
      assertThat(size).as("payload %d", c[0]).isLessThanOrEqualTo(c[1]);
      int recordBytes = BIG.length() + 1 + 10 + 4;
      assertThat(size).as("as many records as fit").isGreaterThan(c[1] - recordBytes);
      release();
    }
  }

  @Test
  void tcpAnswersAreWhole() {
    DnsResponder.Outcome outcome = answer(query(BIG, DnsRecordType.A, 1232), false);
    assertThat(outcome.truncated()).isFalse();
    assertThat(response.count(DnsSection.ANSWER)).isEqualTo(ENDPOINTS);
    assertThat(encodedSize())
        .isGreaterThan(ENDPOINTS * 16); // pointer owner, type, class, TTL, length, address
  }

  @Test
  void aSmallAnswerIsWholeOverUdpAndEchoesOpt() {
    answer(query("127-0-40-1.big.default.svc.cluster.local.", DnsRecordType.A, 1232), true);
    assertThat(response.isTruncated()).isFalse();
    assertThat(response.isAuthoritativeAnswer()).isTrue();
    assertThat(response.count(DnsSection.ANSWER)).isEqualTo(1);
    assertThat(
            response.<io.netty.handler.codec.dns.DnsRecord>recordAt(DnsSection.ADDITIONAL).type())
        .isEqualTo(DnsRecordType.OPT);
  }

  @Test
  void theAnswerSpellsTheOwnerAsTheQuestionDid() {
    answer(query("BIG.Default.svc.cluster.local.", DnsRecordType.A, -1), false);
    assertThat(response.<io.netty.handler.codec.dns.DnsRecord>recordAt(DnsSection.ANSWER).name())
        .isEqualTo("BIG.Default.svc.cluster.local.");
  }

  @Test
  void formerrNotimpAndRefused() {
    DnsQuery two = query(BIG, DnsRecordType.A, -1);
    two.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(BIG, DnsRecordType.AAAA));
    assertThat(answer(two, true).code()).isEqualTo(DnsResponseCode.FORMERR);
    release();

    query = new DefaultDnsQuery(8, DnsOpCode.QUERY);
    assertThat(answer(query, true).code()).isEqualTo(DnsResponseCode.FORMERR); // no question
    release();

    query = new DefaultDnsQuery(9, DnsOpCode.UPDATE);
    assertThat(answer(query, true).code()).isEqualTo(DnsResponseCode.NOTIMP);
    release();

    query = new DefaultDnsQuery(10, DnsOpCode.QUERY);
    query.addRecord(
        DnsSection.QUESTION, new DefaultDnsQuestion("version.bind.", DnsRecordType.TXT, 3));
    assertThat(answer(query, true).code()).isEqualTo(DnsResponseCode.REFUSED); // class CHAOS
  }

  @Test
  void wireLengthOfNames() {
    assertThat(DnsResponder.wireLength(".")).isEqualTo(1);
    assertThat(DnsResponder.wireLength("a.bc.")).isEqualTo(6);
    assertThat(DnsResponder.wireLength("a.bc")).isEqualTo(6);
    assertThat(DnsResponder.wireLength("a..bc.")).isEqualTo(-1);
    assertThat(DnsResponder.wireLength("x".repeat(64) + ".")).isEqualTo(-1);
    assertThat(DnsResponder.wireLength("é.")).isEqualTo(-1);
    assertThat(DnsResponder.wireLength(("x".repeat(63) + ".").repeat(4))).isEqualTo(-1); // 257
  }
}
