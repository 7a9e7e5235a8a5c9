package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;
import java.nio.charset.StandardCharsets;

/**
 * The record coders the DNS server plugs into Netty's message codecs (which still frame, decode
 * and encode every message: header, sections, EDNS0). Why: Netty's own records pass every name
 * through {@code IDN.toASCII} when they are built, and its encoder splits every name with a regex;
 * measured under dnsperf that was a fifth of the agent's CPU per query. Here a question is
 * decoded into a {@link Question} (Netty's name decoder, no IDN), and the zone's records are
 * encoded once per snapshot ({@link #encode}) and written as bytes ({@link Record}); anything else
 * goes to Netty's coders.
 *
 * <p>Records owned by the question's name start with a compression pointer to it (offset 12,
 * RFC 1035 4.1.4): shorter, and the owner is spelled as the client spelled it (0x20 case).
 */
final class WireCodec {
  /** A pointer to the question's name, which always starts right after the 12-byte header. */
  private static final int POINTER_TO_QUESTION = 0xc00c;
  static final DnsRecordEncoder ENCODER = new Encoder();
  static final DnsRecordDecoder DECODER = new Decoder();

  private WireCodec() {}

  /** A decoded question: Netty's {@link DnsQuestion} without the IDN pass. */
  record Question(String name, DnsRecordType type, int dnsClass) implements DnsQuestion {
    @Override
    public long timeToLive() {
      return 0;
    }
  }

  /**
   * One record in wire form, shared by every response of a zone snapshot.
   *
   * @param owner the owner name; null: the question's name (written as a pointer to it)
   */
  record Wire(String owner, DnsRecordType type, long ttl, byte[] bytes) {
    /** The record for a response to {@code qname} (a small wrapper; the bytes are shared). */
    DnsRecord record(String qname) {
      return new Record(owner == null ? qname : owner, this);
    }

    int size() {
      return bytes.length;
    }
  }

  /** A {@link Wire} in a response; {@link #ENCODER} writes its bytes as they are. */
  record Record(String name, Wire wire) implements DnsRecord {
    @Override
    public DnsRecordType type() {
      return wire.type();
    }

    @Override
    public int dnsClass() {
      return CLASS_IN;
    }

    @Override
    public long timeToLive() {
      return wire.ttl();
    }
  }

  /** {@code r} in wire form; owned by the question (a pointer) when {@code ownerIsQuestion}. */
  static Wire encode(ZoneRecord r, boolean ownerIsQuestion, long ttl) {
    ByteBuf out = Unpooled.buffer(64);
    if (ownerIsQuestion) {
      out.writeShort(POINTER_TO_QUESTION);
    } else {
      writeName(out, r.name());
    }
    DnsRecordType type = DnsRecordType.valueOf(r.type().code());
    out.writeShort(type.intValue()).writeShort(DnsRecord.CLASS_IN).writeInt((int) ttl);
    int lengthAt = out.writerIndex();
    out.writeShort(0);
    if (r instanceof ZoneRecord.A a) {
      out.writeBytes(a.address().getAddress());
    } else if (r instanceof ZoneRecord.Srv s) {
      out.writeShort(s.priority()).writeShort(s.weight()).writeShort(s.port());
      writeName(out, s.target());
    } else if (r instanceof ZoneRecord.Ptr p) {
      writeName(out, p.target());
    } else if (r instanceof ZoneRecord.Txt t) {
      out.writeByte(t.text().length());
      out.writeCharSequence(t.text(), StandardCharsets.US_ASCII);
    } else if (r instanceof ZoneRecord.Soa s) {
      writeName(out, s.primary());
      writeName(out, s.mailbox());
      out.writeInt((int) s.serial()).writeInt(s.refresh()).writeInt(s.retry())
          .writeInt(s.expire()).writeInt(s.minimum());
    } else {
      throw new IllegalArgumentException("record: " + r + " (expected: A, SRV, PTR, TXT or SOA)");
    }
    out.setShort(lengthAt, out.writerIndex() - lengthAt - 2);
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return new Wire(ownerIsQuestion ? null : r.name(), type, ttl, bytes);
  }

  /** Our OPT record: our UDP payload size, extended rcode 0, version 0, no options. */
  static final Wire OPT = new Wire("", DnsRecordType.OPT, 0,
      new byte[] {0, 0, 41, (byte) (DnsResponder.MAX_UDP_PAYLOAD >> 8),
          (byte) DnsResponder.MAX_UDP_PAYLOAD, 0, 0, 0, 0, 0, 0});

  /** {@code name} (ASCII, absolute or not; checked by {@link DnsResponder#wireLength}) as labels. */
  static void writeName(ByteBuf out, String name) {
    int start = 0;
    int n = name.length();
    while (start < n) {
      int dot = name.indexOf('.', start);
      int end = dot < 0 ? n : dot;
      if (end > start) {
        out.writeByte(end - start);
        for (int i = start; i < end; i++) {
          out.writeByte(name.charAt(i));
        }
      }
      start = end + 1;
    }
    out.writeByte(0);
  }

  private static final class Encoder implements DnsRecordEncoder {
    @Override
    public void encodeQuestion(DnsQuestion question, ByteBuf out) throws Exception {
      writeName(out, question.name());
      out.writeShort(question.type().intValue()).writeShort(question.dnsClass());
    }

    @Override
    public void encodeRecord(DnsRecord record, ByteBuf out) throws Exception {
      if (record instanceof Record r) {
        out.writeBytes(r.wire().bytes());
      } else {
        DnsRecordEncoder.DEFAULT.encodeRecord(record, out);
      }
    }
  }

  private static final class Decoder implements DnsRecordDecoder {
    @Override
    public DnsQuestion decodeQuestion(ByteBuf in) {
      String name = DefaultDnsRecordDecoder.decodeName(in);
      return new Question(name, DnsRecordType.valueOf(in.readUnsignedShort()), in.readUnsignedShort());
    }

    @Override
    public <T extends DnsRecord> T decodeRecord(ByteBuf in) throws Exception {
      return DnsRecordDecoder.DEFAULT.decodeRecord(in);
    }
  }
}
