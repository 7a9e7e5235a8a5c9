package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP hot path: a query whose answer the zone already gave is answered here, straight from the
 * datagram's bytes, before Netty's DNS codec sees it. Why: under dnsperf most of the agent's CPU
 * per query went to Netty's pipeline around an answer that was already bytes (decoding the query
 * into a {@code DnsQuery}, re-encoding header and question, the encoder's extra outbound hop, and a
 * {@code String} key per lookup), which left the agent above dnsmasq's CPU per query
 * (docs/benchmarks.md, "Cluster DNS").
 *
 * <p>Here the 12-byte header and the one question are read from the bytes, the answer is found by
 * the question's wire name case-folded ({@link WireAnswers}, filled by the codec path, so only a
 * question the codec path answered in this zone snapshot is answered here), and the response is
 * written as one buffer: header (id copied, QR, AA as the zone says, RD copied, RA clear, the
 * RCODE), the question as received (so the client's 0x20 case comes back), the pre-encoded
 * sections, and our OPT record when the query had one, in the codec path's order and with its
 * truncation to the client's UDP payload size: the same bytes ({@code FastPathTest} compares them).
 *
 * <p>Anything else goes on to the codec path untouched: not exactly one question and at most one
 * (OPT) additional record, an answer or authority record, a compression pointer, extended label or
 * unprintable byte in the name, a name over 255 bytes, a class other than IN or ANY, an opcode
 * other than QUERY, a response, trailing bytes, a datagram over {@value #MAX_QUERY} bytes, and
 * every name not answered yet (or answered REFUSED, which may go upstream). Confined to the DNS
 * event loop.
 */
final class FastPath extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(FastPath.class);

  /** Longest query answered here (a question and an OPT with options are far shorter). */
  static final int MAX_QUERY = 512;

  private static final int HEADER_BYTES = 12;
  private static final int MAX_NAME = 255;
  private static final int TYPE_OPT = 41;
  private static final int CLASS_IN = 1;
  private static final int CLASS_ANY = 255;
  private static final byte[] OPT = WireCodec.OPT.bytes();

  private final DnsServer server;

  /** The datagram being answered, copied once; reused. */
  private final byte[] query = new byte[MAX_QUERY];

  /** What {@link #parse} read: the question's name length (wire), type, EDNS0 payload or -1. */
  private int nameLength;

  private int qtype;
  private int payload;

  FastPath(DnsServer server) {
    this.server = server;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof DatagramPacket packet) {
      boolean answered;
      try {
        answered = answered(ctx, packet);
      } catch (RuntimeException e) { // a bug here must not cost the answer: the codec path gives it
        log.warn("DNS fast path: {}", e.toString(), e);
        answered = false;
      }
      if (answered) {
        packet.release();
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** True when {@code packet} was answered (or its answer dropped because the socket is full). */
  private boolean answered(ChannelHandlerContext ctx, DatagramPacket packet) {
    long started = System.nanoTime();
    ByteBuf in = packet.content();
    int length = in.readableBytes();
    if (length > MAX_QUERY || !parse(in, length)) {
      return false;
    }
    WireAnswers.Entry entry =
        server.answerCache().wire(server.zone()).find(query, HEADER_BYTES, nameLength, qtype);
    if (entry == null) {
      return false;
    }
    AnswerCache.Prepared answer = entry.prepared();
    boolean truncated = false;
    if (ctx.channel().isWritable()) {
      ByteBuf out = write(ctx, entry);
      truncated = (out.getByte(2) & 0x02) != 0;
      ctx.write(new DatagramPacket(out, packet.sender(), packet.recipient()), ctx.voidPromise());
    } else {
      server.countDropped();
    }
    server.answeredFast(qtype, answer.rcode().code(), truncated, System.nanoTime() - started);
    return true;
  }

  /**
   * Reads header and question from {@code in} into {@link #query}; false when anything is not a
   * plain query with one question (the codec path answers it, or says FORMERR).
   */
  boolean parse(ByteBuf in, int length) {
    if (length < HEADER_BYTES + 5) {
      return false;
    }
    byte[] m = query;
    in.getBytes(in.readerIndex(), m, 0, length);
    // QR clear (a query) and opcode QUERY; one question; no answer or authority; <= 1 additional
    if ((m[2] & 0xf8) != 0
        || m[4] != 0
        || m[5] != 1
        || (m[6] | m[7] | m[8] | m[9] | m[10]) != 0
        || (m[11] & 0xfe) != 0) {
      return false;
    }
    int at = HEADER_BYTES;
    while (true) {
      if (at >= length) {
        return false;
      }
      int label = m[at] & 0xff;
      if (label == 0) {
        break;
      }
      if (label > 63 || at + 1 + label >= length || at + 1 + label - HEADER_BYTES >= MAX_NAME) {
        return false; // a pointer, an extended label type, past the datagram or too long
      }
      for (int i = at + 1; i <= at + label; i++) {
        if (m[i] <= 0x20 || m[i] >= 0x7f || m[i] == '.') {
          return false; // spelled oddly: the codec path decides
        }
      }
      at += 1 + label;
    }
    nameLength = at + 1 - HEADER_BYTES;
    at++;
    if (at + 4 > length) {
      return false;
    }
    qtype = u16(m, at);
    int qclass = u16(m, at + 2);
    if (qclass != CLASS_IN && qclass != CLASS_ANY) {
      return false;
    }
    at += 4;
    if (m[11] == 0) {
      payload = -1;
      return at == length;
    }
    // the one additional record: OPT, owned by the root, all of it and nothing after it
    if (at + 11 > length || m[at] != 0 || u16(m, at + 1) != TYPE_OPT) {
      return false;
    }
    payload = u16(m, at + 3); // an OPT record's class is the requestor's UDP payload size
    return at + 11 + u16(m, at + 9) == length;
  }

  /** The response to the parsed query, as {@link DnsResponder} and Netty's encoder write it. */
  private ByteBuf write(ChannelHandlerContext ctx, WireAnswers.Entry entry) {
    AnswerCache.Prepared answer = entry.prepared();
    boolean edns = payload >= 0;
    int limit =
        edns
            ? Math.min(
                DnsResponder.MAX_UDP_PAYLOAD, Math.max(DnsResponder.MIN_UDP_PAYLOAD, payload))
            : DnsResponder.MIN_UDP_PAYLOAD;
    int questionEnd = HEADER_BYTES + nameLength + 4;
    int size = questionEnd + (edns ? OPT.length : 0);
    boolean whole = size + entry.size() <= limit;
    int answers = entry.answerCount();
    int authority = entry.authorityCount();
    int additional = entry.additionalCount();
    boolean truncated = false;
    if (!whole) { // the codec path's cut: whole records; TC when an answer does not fit
      answers = fitting(answer.answers(), size, limit);
      size += bytes(answer.answers(), answers);
      truncated = answers < answer.answers().size();
      authority = truncated ? 0 : fitting(answer.authority(), size, limit);
      size += bytes(answer.authority(), authority);
      additional = truncated ? 0 : fitting(answer.additional(), size, limit);
      size += bytes(answer.additional(), additional);
    } else {
      size += entry.size();
    }
    ByteBuf out = ctx.alloc().ioBuffer(size);
    int flags =
        0x8000 // QR; opcode QUERY; RA, Z clear
            | (answer.authoritative() ? 0x0400 : 0)
            | (truncated ? 0x0200 : 0)
            | (query[2] & 0x01) << 8 // RD copied
            | answer.rcode().code();
    out.writeByte(query[0]).writeByte(query[1]).writeShort(flags);
    out.writeShort(1).writeShort(answers).writeShort(authority);
    out.writeShort(additional + (edns ? 1 : 0));
    out.writeBytes(query, HEADER_BYTES, questionEnd - HEADER_BYTES);
    if (whole) {
      out.writeBytes(entry.answerAndAuthority());
      if (edns) {
        out.writeBytes(OPT);
      }
      out.writeBytes(entry.additional());
    } else {
      writeFirst(out, answer.answers(), answers);
      writeFirst(out, answer.authority(), authority);
      if (edns) {
        out.writeBytes(OPT);
      }
      writeFirst(out, answer.additional(), additional);
    }
    return out;
  }

  /** How many of {@code records}, from the first, fit after {@code size} bytes. */
  private static int fitting(List<WireCodec.Wire> records, int size, int limit) {
    int n = 0;
    for (WireCodec.Wire r : records) {
      if (size + r.size() > limit) {
        break;
      }
      size += r.size();
      n++;
    }
    return n;
  }

  private static int bytes(List<WireCodec.Wire> records, int count) {
    int n = 0;
    for (int i = 0; i < count; i++) {
      n += records.get(i).size();
    }
    return n;
  }

  private static void writeFirst(ByteBuf out, List<WireCodec.Wire> records, int count) {
    for (int i = 0; i < count; i++) {
      out.writeBytes(records.get(i).bytes());
    }
  }

  private static int u16(byte[] m, int at) {
    return (m[at] & 0xff) << 8 | (m[at + 1] & 0xff);
  }
}
