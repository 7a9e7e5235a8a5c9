package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsPtrRecord;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a decoded query and the current {@link DnsZone} into a response (Netty's DNS message
 * model; the codec writes it). Here live the wire rules the zone does not know about: one
 * question per query, opcode QUERY only, class IN, EDNS0 (RFC 6891: the requestor's UDP payload
 * size, capped at {@value #MAX_UDP_PAYLOAD} as DNS Flag Day 2020 advises, at least 512), and
 * truncation: a UDP answer that does not fit keeps the whole records that do, drops the rest and
 * the authority and additional sections, and sets TC, so the client asks again over TCP, which
 * has no limit here.
 *
 * <p>Names are written uncompressed (Netty's encoder does not compress), so the size of a
 * response is known before it is encoded.
 */
final class DnsResponder {
  static final int MIN_UDP_PAYLOAD = 512;
  static final int MAX_UDP_PAYLOAD = 1232;
  private static final int HEADER_BYTES = 12;
  /** Type, class, TTL and RDLENGTH of a record. */
  private static final int RECORD_FIXED_BYTES = 10;
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
  record Outcome(DnsResponseCode code, int qtype, boolean truncated, boolean outsideZone,
      int payload) {
    Outcome(DnsResponseCode code, int qtype, boolean truncated) {
      this(code, qtype, truncated, false, -1);
    }
  }

  /**
   * Fills {@code response} (created with the query's id and opcode) with the answer to
   * {@code query}.
   *
   * @param udp true over UDP: the answer is cut to the client's payload size
   */
  static Outcome answer(DnsZone zone, DnsQuery query, DnsResponse response, boolean udp) {
    response.setRecursionDesired(query.isRecursionDesired());
    int payload = -1; // no EDNS0
    for (int i = 0; i < query.count(DnsSection.ADDITIONAL); i++) {
      DnsRecord r = query.recordAt(DnsSection.ADDITIONAL, i);
      if (r.type() == DnsRecordType.OPT) {
        payload = r.dnsClass(); // an OPT record's class is the requestor's UDP payload size
        break;
      }
    }
    int limit = payload < 0 ? MIN_UDP_PAYLOAD
        : Math.min(MAX_UDP_PAYLOAD, Math.max(MIN_UDP_PAYLOAD, payload));
    int size = HEADER_BYTES + (payload < 0 ? 0 : OPT_BYTES);
    if (payload >= 0) {
      response.addRecord(DnsSection.ADDITIONAL, opt());
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
    response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass()));
    size += nameBytes + 4;
    if (q.dnsClass() != CLASS_IN && q.dnsClass() != CLASS_ANY) {
      response.setCode(DnsResponseCode.REFUSED); // e.g. CHAOS version.bind
      return new Outcome(DnsResponseCode.REFUSED, qtype, false);
    }
    DnsZone.Answer answer = zone.lookup(q.name(), qtype);
    if (answer.rcode() == DnsZone.Rcode.REFUSED) {
      response.setCode(DnsResponseCode.REFUSED);
      return new Outcome(DnsResponseCode.REFUSED, qtype, false, true, payload);
    }
    DnsResponseCode code = DnsResponseCode.valueOf(answer.rcode().code());
    response.setCode(code);
    response.setAuthoritativeAnswer(answer.authoritative());
    long ttl = zone.ttlSeconds();
    boolean truncated = false;
    for (ZoneRecord r : answer.answers()) {
      int bytes = recordBytes(r, q.name());
      if (udp && size + bytes > limit) {
        truncated = true;
        break;
      }
      size += bytes;
      response.addRecord(DnsSection.ANSWER, toNetty(r, q.name(), ttl));
    }
    if (truncated) {
      response.setTruncated(true);
      return new Outcome(code, qtype, true);
    }
    // Authority and additional records are optional: left out when they do not fit, without TC.
    size = addWhileFits(response, DnsSection.AUTHORITY, answer.authority(), q.name(), ttl, size,
        udp ? limit : Integer.MAX_VALUE);
    addWhileFits(response, DnsSection.ADDITIONAL, answer.additional(), q.name(), ttl, size,
        udp ? limit : Integer.MAX_VALUE);
    return new Outcome(code, qtype, false);
  }

  private static int addWhileFits(DnsResponse response, DnsSection section,
      List<ZoneRecord> records, String qname, long ttl, int size, int limit) {
    for (ZoneRecord r : records) {
      int bytes = recordBytes(r, qname);
      if (size + bytes > limit) {
        break;
      }
      size += bytes;
      response.addRecord(section, toNetty(r, qname, ttl));
    }
    return size;
  }

  /** Our OPT record: our own UDP payload size, extended rcode 0, version 0, no options. */
  static DnsRecord opt() {
    return new DefaultDnsRawRecord("", DnsRecordType.OPT, MAX_UDP_PAYLOAD, 0, Unpooled.EMPTY_BUFFER);
  }

  /** The record's owner as the question spelled it when it is the question's name (0x20 case). */
  private static String owner(ZoneRecord r, String qname) {
    return r.name().equalsIgnoreCase(qname) ? qname : r.name();
  }

  private static int recordBytes(ZoneRecord r, String qname) {
    return wireLength(owner(r, qname)) + RECORD_FIXED_BYTES + rdataBytes(r);
  }

  private static int rdataBytes(ZoneRecord r) {
    if (r instanceof ZoneRecord.A) {
      return 4;
    } else if (r instanceof ZoneRecord.Srv s) {
      return 6 + wireLength(s.target());
    } else if (r instanceof ZoneRecord.Ptr p) {
      return wireLength(p.target());
    } else if (r instanceof ZoneRecord.Txt t) {
      return 1 + t.text().length();
    } else if (r instanceof ZoneRecord.Soa s) {
      return wireLength(s.primary()) + wireLength(s.mailbox()) + 20;
    }
    throw new IllegalArgumentException("record: " + r + " (expected: A, SRV, PTR, TXT or SOA)");
  }

  static DnsRecord toNetty(ZoneRecord r, String qname, long ttl) {
    String name = owner(r, qname);
    if (r instanceof ZoneRecord.Ptr p) {
      return new DefaultDnsPtrRecord(name, CLASS_IN, ttl, p.target());
    }
    ByteBuf rdata = Unpooled.buffer(rdataBytes(r));
    DnsRecordType type;
    if (r instanceof ZoneRecord.A a) {
      rdata.writeBytes(a.address().getAddress());
      type = DnsRecordType.A;
    } else if (r instanceof ZoneRecord.Srv s) {
      rdata.writeShort(s.priority()).writeShort(s.weight()).writeShort(s.port());
      writeName(rdata, s.target());
      type = DnsRecordType.SRV;
    } else if (r instanceof ZoneRecord.Txt t) {
      rdata.writeByte(t.text().length());
      rdata.writeCharSequence(t.text(), StandardCharsets.US_ASCII);
      type = DnsRecordType.TXT;
    } else {
      ZoneRecord.Soa s = (ZoneRecord.Soa) r;
      writeName(rdata, s.primary());
      writeName(rdata, s.mailbox());
      rdata.writeInt((int) s.serial()).writeInt(s.refresh()).writeInt(s.retry())
          .writeInt(s.expire()).writeInt(s.minimum());
      type = DnsRecordType.SOA;
    }
    return new DefaultDnsRawRecord(name, type, CLASS_IN, ttl, rdata);
  }

  /** Writes {@code name} (ASCII, absolute or not) as uncompressed labels. */
  private static void writeName(ByteBuf out, String name) {
    for (String label : name.split("\\.")) {
      if (!label.isEmpty()) {
        out.writeByte(label.length());
        out.writeCharSequence(label, StandardCharsets.US_ASCII);
      }
    }
    out.writeByte(0);
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
