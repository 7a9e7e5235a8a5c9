package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;
import java.nio.charset.StandardCharsets;

/**
 * The record coders the DNS server plugs into Netty's message codecs (which still frame, decode and
 * encode every message: header, sections, EDNS0). Why: Netty's own records pass every name through
 * {@code IDN.toASCII} when they are built, and its encoder splits every name with a regex; measured
 * under dnsperf that was a fifth of the agent's CPU per query, and its name decoder (a
 * StringBuilder and a charset decoder per label) another tenth. Here a question is decoded into a
 * {@link Question} (its name read once into bytes, kept to be echoed), and the zone's records are
 * encoded once per snapshot ({@link #encode}) and written as bytes ({@link Record}); anything else
 * goes to Netty's coders.
 *
 * <p>Records owned by the question's name start with a compression pointer to it (offset 12, RFC
 * 1035 4.1.4): shorter, and the owner is spelled as the client spelled it (0x20 case).
 */
final class WireCodec {
  /** A pointer to the question's name, which always starts right after the 12-byte header. */
  private static final int POINTER_TO_QUESTION = 0xc00c;

  private static final int MAX_NAME = 255;
  static final DnsRecordEncoder ENCODER = new Encoder();
  static final DnsRecordDecoder DECODER = new Decoder();

  private WireCodec() {}

  /**
   * A decoded question: Netty's {@link DnsQuestion} without the IDN pass, with its name as it came
   * (uncompressed labels, the client's case), which is what the response repeats.
   *
   * @param wireName null when made from a name (tests, Netty's questions)
   */
  record Question(String name, DnsRecordType type, int dnsClass, byte[] wireName)
      implements DnsQuestion {
    Question(String name, DnsRecordType type, int dnsClass) {
      this(name, type, dnsClass, null);
    }

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
      out.writeInt((int) s.serial())
          .writeInt(s.refresh())
          .writeInt(s.retry())
          .writeInt(s.expire())
          .writeInt(s.minimum());
    } else {
      throw new IllegalArgumentException("record: " + r + " (expected: A, SRV, PTR, TXT or SOA)");
    }
    out.setShort(lengthAt, out.writerIndex() - lengthAt - 2);
    byte[] bytes = new byte[out.readableBytes()];
    out.readBytes(bytes);
    return new Wire(ownerIsQuestion ? null : r.name(), type, ttl, bytes);
  }

  /** Our OPT record: our UDP payload size, extended rcode 0, version 0, no options. */
  static final Wire OPT =
      new Wire(
          "",
          DnsRecordType.OPT,
          0,
          new byte[] {
            0,
            0,
            41,
            (byte) (DnsResponder.MAX_UDP_PAYLOAD >> 8),
            (byte) DnsResponder.MAX_UDP_PAYLOAD,
            0,
            0,
            0,
            0,
            0,
            0
          });

  /**
   * {@code name} (ASCII, absolute or not; checked by {@link DnsResponder#wireLength}) as labels.
   */
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

  /**
   * Reads a name at the reader index as uncompressed labels (RFC 1035 3.1, 4.1.4), following
   * compression pointers (offsets from index 0, the message's first byte, as Netty's decoder reads
   * them). A pointer must point before itself, so loops cannot happen; a name over 255 bytes, an
   * extended label type or a name running off the message is {@link CorruptedFrameException}.
   */
  static byte[] decodeName(ByteBuf in) {
    byte[] name = new byte[MAX_NAME];
    int n = 0;
    int at = in.readerIndex();
    int resume = -1; // where the reader continues after the first pointer
    int end = in.writerIndex();
    while (true) {
      if (at >= end) {
        throw new CorruptedFrameException("name runs past the message");
      }
      int len = in.getUnsignedByte(at);
      if ((len & 0xc0) == 0xc0) {
        if (at + 1 >= end) {
          throw new CorruptedFrameException("name runs past the message");
        }
        int target = (len & 0x3f) << 8 | in.getUnsignedByte(at + 1);
        if (target >= at) {
          throw new CorruptedFrameException(
              "compression pointer " + target + " at " + at + " does not point backwards");
        }
        if (resume < 0) {
          resume = at + 2;
        }
        at = target;
        continue;
      }
      if ((len & 0xc0) != 0) {
        throw new CorruptedFrameException("label type " + (len >> 6) + " at " + at);
      }
      if (n + len + 1 > MAX_NAME) {
        throw new CorruptedFrameException("name longer than " + MAX_NAME + " bytes");
      }
      if (at + len >= end) {
        throw new CorruptedFrameException("name runs past the message");
      }
      name[n++] = (byte) len;
      in.getBytes(at + 1, name, n, len);
      n += len;
      at += len + 1;
      if (len == 0) {
        break;
      }
    }
    in.readerIndex(resume < 0 ? at : resume);
    return java.util.Arrays.copyOf(name, n);
  }

  /** {@code 3www7example3com0} as {@code www.example.com.} (the root as {@code .}). */
  static String dotted(byte[] wire) {
    if (wire.length == 1) {
      return ".";
    }
    byte[] text = new byte[wire.length - 1];
    int i = 0;
    while (wire[i] != 0) {
      int len = wire[i];
      System.arraycopy(wire, i + 1, text, i, len);
      i += len + 1;
      text[i - 1] = '.';
    }
    return new String(text, StandardCharsets.ISO_8859_1);
  }

  private static final class Encoder implements DnsRecordEncoder {
    @Override
    public void encodeQuestion(DnsQuestion question, ByteBuf out) throws Exception {
      if (question instanceof Question q && q.wireName() != null) {
        out.writeBytes(q.wireName());
      } else {
        writeName(out, question.name());
      }
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
      byte[] wire = decodeName(in);
      return new Question(
          dotted(wire),
          DnsRecordType.valueOf(in.readUnsignedShort()),
          in.readUnsignedShort(),
          wire);
    }

    @Override
    public <T extends DnsRecord> T decodeRecord(ByteBuf in) throws Exception {
      return DnsRecordDecoder.DEFAULT.decodeRecord(in);
    }
  }
}
