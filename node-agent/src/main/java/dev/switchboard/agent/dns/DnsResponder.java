package dev.switchboard.agent.dns;

import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.util.List;

/**
 * Turns a decoded query and the current {@link DnsZone} into a response (Netty's DNS message model;
 * the codec writes it). Here live the wire rules the zone does not know about: one question per
 * query, opcode QUERY only, class IN, EDNS0 (RFC 6891: the requestor's UDP payload size, capped at
 * {@value #MAX_UDP_PAYLOAD} as DNS Flag Day 2020 advises, at least 512), and truncation: a UDP
 * answer that does not fit keeps the whole records that do, drops the rest and the authority and
 * additional sections, and sets TC, so the client asks again over TCP, which has no limit here.
 *
 * <p>The zone's records are written as {@link WireCodec} encodes them (once per snapshot, in an
 * {@link AnswerCache}), so the size of a response is known before it is encoded.
 */
final class DnsResponder {
  static final int MIN_UDP_PAYLOAD = 512;
  static final int MAX_UDP_PAYLOAD = 1232;
  private static final int HEADER_BYTES = 12;

  /** The OPT record we add: root name, type, class, TTL, RDLENGTH 0. */
  private static final int OPT_BYTES = 11;

  private static final int CLASS_IN = DnsRecord.CLASS_IN;
  private static final int CLASS_ANY = DnsRecord.CLASS_ANY;

  private DnsResponder() {}

  /**
   * What a response said, for metrics and tests.
   *
   * @param outsideZone REFUSED because the name is not ours: an upstream may answer it
   * @param payload the client's EDNS0 payload size, -1 without EDNS0
   */
  record Outcome(
      DnsResponseCode code, int qtype, boolean truncated, boolean outsideZone, int payload) {
    Outcome(DnsResponseCode code, int qtype, boolean truncated) {
      this(code, qtype, truncated, false, -1);
    }
  }

  /**
   * Fills {@code response} (created with the query's id and opcode) with the answer to {@code
   * query}, computed afresh (tests).
   *
   * @param udp true over UDP: the answer is cut to the client's payload size
   */
  static Outcome answer(DnsZone zone, DnsQuery query, DnsResponse response, boolean udp) {
    return answer(zone, null, query, response, udp);
  }

  /**
   * As above, with the zone's answers in wire form taken from {@code cache} (null: none). The
   * response must be written with {@link WireCodec#ENCODER}.
   */
  static Outcome answer(
      DnsZone zone, AnswerCache cache, DnsQuery query, DnsResponse response, boolean udp) {
    response.setRecursionDesired(query.isRecursionDesired());
    int payload = -1; // no EDNS0
    for (int i = 0; i < query.count(DnsSection.ADDITIONAL); i++) {
      DnsRecord r = query.recordAt(DnsSection.ADDITIONAL, i);
      if (r.type() == DnsRecordType.OPT) {
        payload = r.dnsClass(); // an OPT record's class is the requestor's UDP payload size
        break;
      }
    }
    int limit =
        payload < 0
            ? MIN_UDP_PAYLOAD
            : Math.min(MAX_UDP_PAYLOAD, Math.max(MIN_UDP_PAYLOAD, payload));
    int size = HEADER_BYTES + (payload < 0 ? 0 : OPT_BYTES);
    if (payload >= 0) {
      response.addRecord(DnsSection.ADDITIONAL, WireCodec.OPT.record(""));
    }
    if (!query.opCode().equals(DnsOpCode.QUERY)) {
      response.setCode(DnsResponseCode.NOTIMP);
      return new Outcome(DnsResponseCode.NOTIMP, 0, false);
    }
    if (query.count(DnsSection.QUESTION) != 1) {
      response.setCode(DnsResponseCode.FORMERR); // RFC 9619: exactly one question
      return new Outcome(DnsResponseCode.FORMERR, 0, false);
    }
    DnsQuestion q = query.recordAt(DnsSection.QUESTION);
    int nameBytes = wireLength(q.name());
    if (nameBytes < 0) {
      response.setCode(DnsResponseCode.FORMERR); // a name we could not write back
      return new Outcome(DnsResponseCode.FORMERR, 0, false);
    }
    int qtype = q.type().intValue();
    // The decoded question itself: nothing in it is reference-counted, and building another
    // (Netty's) would pass the name through IDN again.
    response.addRecord(
        DnsSection.QUESTION,
        q instanceof WireCodec.Question
            ? q
            : new WireCodec.Question(q.name(), q.type(), q.dnsClass()));
    size += nameBytes + 4;
    if (q.dnsClass() != CLASS_IN && q.dnsClass() != CLASS_ANY) {
      response.setCode(DnsResponseCode.REFUSED); // e.g. CHAOS version.bind
      return new Outcome(DnsResponseCode.REFUSED, qtype, false);
    }
    String name = DnsZone.absolute(q.name());
    AnswerCache.Prepared answer =
        cache == null
            ? AnswerCache.prepare(zone, name, qtype)
            : cache.get(
                zone, name, qtype, q instanceof WireCodec.Question wq ? wq.wireName() : null);
    if (answer.rcode() == DnsZone.Rcode.REFUSED) {
      response.setCode(DnsResponseCode.REFUSED);
      return new Outcome(DnsResponseCode.REFUSED, qtype, false, true, payload);
    }
    DnsResponseCode code = DnsResponseCode.valueOf(answer.rcode().code());
    response.setCode(code);
    response.setAuthoritativeAnswer(answer.authoritative());
    boolean truncated = false;
    for (WireCodec.Wire r : answer.answers()) {
      if (udp && size + r.size() > limit) {
        truncated = true;
        break;
      }
      size += r.size();
      response.addRecord(DnsSection.ANSWER, r.record(q.name()));
    }
    if (truncated) {
      response.setTruncated(true);
      return new Outcome(code, qtype, true);
    }
    // Authority and additional records are optional: left out when they do not fit, without TC.
    size =
        addWhileFits(
            response,
            DnsSection.AUTHORITY,
            answer.authority(),
            q.name(),
            size,
            udp ? limit : Integer.MAX_VALUE);
    addWhileFits(
        response,
        DnsSection.ADDITIONAL,
        answer.additional(),
        q.name(),
        size,
        udp ? limit : Integer.MAX_VALUE);
    return new Outcome(code, qtype, false);
  }

  private static int addWhileFits(
      DnsResponse response,
      DnsSection section,
      List<WireCodec.Wire> records,
      String qname,
      int size,
      int limit) {
    for (WireCodec.Wire r : records) {
      if (size + r.size() > limit) {
        break;
      }
      size += r.size();
      response.addRecord(section, r.record(qname));
    }
    return size;
  }

  /**
   * The size of {@code name} as Netty writes it (labels, one byte per char, no compression); -1
   * when it cannot be written: an empty label inside it, a label over 63 bytes, over 255 bytes in
   * all, or a character that is not ASCII.
   */
  static int wireLength(String name) {
    if (name.isEmpty() || name.equals(".")) {
      return 1;
    }
    int total = 1;
    int label = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c > 0x7f) {
        return -1;
      }
      if (c == '.') {
        if (label == 0 || label > 63) {
          return -1;
        }
        total += label + 1;
        label = 0;
      } else {
        label++;
      }
    }
    if (label > 63) {
      return -1;
    }
    total += label == 0 ? 0 : label + 1;
    return total > 255 ? -1 : total;
  }
}
