package dev.switchboard.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fast path's table: case-folded wire names, per type, bounded. */
class WireAnswersTest {
  private static final AnswerCache.Prepared ANSWER =
      new AnswerCache.Prepared(DnsZone.Rcode.NXDOMAIN, true, List.of(), List.of(), List.of());

  @Test
  void foundInAnyCaseByTypeAndFromInsideADatagram() {
    WireAnswers table = new WireAnswers();
    table.put(wire("Redis.default"), 1, ANSWER);
    byte[] datagram = new byte[40];
    byte[] name = wire("rEDIS.DEFAULT");
    System.arraycopy(name, 0, datagram, 12, name.length);
    assertThat(table.find(datagram, 12, name.length, 1).prepared()).isSameAs(ANSWER);
    assertThat(table.find(datagram, 12, name.length, 28)).isNull();
    assertThat(table.find(wire("redis.other"), 0, wire("redis.other").length, 1)).isNull();
    table.put(wire("REDIS.default"), 1, ANSWER); // the same name: not a second entry
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void boundedRandomNamesCannotGrowIt() {
    WireAnswers table = new WireAnswers();
    for (int i = 0; i < 3 * WireAnswers.MAX_ENTRIES; i++) {
      table.put(wire("n" + i + ".default"), 1, ANSWER);
      assertThat(table.size()).isLessThanOrEqualTo(WireAnswers.MAX_ENTRIES);
    }
    byte[] last = wire("n" + (3 * WireAnswers.MAX_ENTRIES - 1) + ".default");
    assertThat(table.find(last, 0, last.length, 1)).isNotNull();
    table.clear();
    assertThat(table.find(last, 0, last.length, 1)).isNull();
  }

  private static byte[] wire(String dotted) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (String label : dotted.split("\\.")) {
      out.write(label.length());
      out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
    }
    out.write(0);
    return out.toByteArray();
  }
}
