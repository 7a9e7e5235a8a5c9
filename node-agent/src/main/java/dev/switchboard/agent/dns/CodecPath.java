package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.timeout.ReadTimeoutException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The codec path of {@link DnsServer}: every TCP query, and every UDP query the {@link FastPath}
 * passes on (malformed ones, names not answered yet in this zone snapshot, names that go upstream),
 * decoded and encoded with Netty's DNS codec and answered by {@link DnsResponder}. Kept apart from
 * the server's sockets and lifecycle so each class stays readable. Confined to the DNS event loop.
 */
final class CodecPath {
  private static final Logger log = LoggerFactory.getLogger(CodecPath.class);
  private static final int HEADER_BYTES = 12;

  private final DnsServer server;

  /** Confined to the event loop, like everything that records into it. */
  private final DnsMetrics metrics;

  /** Null without upstreams. */
  private final UpstreamForwarder forwarder;

  CodecPath(DnsServer server, DnsMetrics metrics, UpstreamForwarder forwarder) {
    this.server = server;
    this.metrics = metrics;
    this.forwarder = forwarder;
  }

  /** A datagram that did not decode but has a query's header: answered FORMERR with its id. */
  private record Malformed(
      int id, DnsOpCode opCode, InetSocketAddress sender, InetSocketAddress recipient) {}

  /** Netty's decoder, with a decoding failure turned into a {@link Malformed} or a drop. */
  final class LenientQueryDecoder extends DatagramDnsQueryDecoder {
    LenientQueryDecoder() {
      super(WireCodec.DECODER);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
      ByteBuf in = packet.content();
      int start = in.readerIndex();
      try {
        super.decode(ctx, packet, out);
      } catch (Exception e) {
        server.malformed.increment();
        boolean isQuery =
            in.writerIndex() - start >= HEADER_BYTES && (in.getUnsignedByte(start + 2) & 0x80) == 0;
        if (isQuery) { // a response sent to us is never answered: no loops between servers
          out.add(
              new Malformed(
                  in.getUnsignedShort(start),
                  DnsOpCode.valueOf((in.getUnsignedByte(start + 2) >> 3) & 0xf),
                  packet.sender(),
                  packet.recipient()));
        }
        log.debug("DNS: malformed query from {}: {}", packet.sender(), e.toString());
      }
    }
  }

  final class UdpResponder extends SimpleChannelInboundHandler<Object> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      DatagramDnsResponse response;
      if (msg instanceof DatagramDnsQuery query) {
        response =
            new DatagramDnsResponse(query.recipient(), query.sender(), query.id(), query.opCode());
        DnsResponder.Outcome outcome = respond(query, response, true);
        if (outcome.truncated()) {
          server.truncated.increment();
        }
        if (forwarded(
            outcome,
            query,
            response,
            true,
            ctx,
            raw -> new DatagramPacket(raw, query.sender(), query.recipient()))) {
          return;
        }
      } else if (msg instanceof Malformed m) {
        response =
            new DatagramDnsResponse(
                m.recipient(), m.sender(), m.id(), m.opCode(), DnsResponseCode.FORMERR);
        metrics.record(true, "", DnsResponseCode.FORMERR.intValue(), 0);
      } else {
        return;
      }
      if (!ctx.channel().isWritable()) {
        response.release();
        server.dropped.increment();
        return;
      }
      ctx.write(response, ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // The socket stays open: one bad datagram must not stop the server.
      log.debug("DNS UDP: {}", cause.toString());
    }
  }

  final class TcpResponder extends SimpleChannelInboundHandler<DnsQuery> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
      DnsResponse response = new DefaultDnsResponse(query.id(), query.opCode());
      DnsResponder.Outcome outcome = respond(query, response, false);
      if (forwarded(
          outcome,
          query,
          response,
          false,
          ctx,
          raw -> Unpooled.wrappedBuffer(Unpooled.buffer(2).writeShort(raw.readableBytes()), raw))) {
        return;
      }
      ctx.write(response);
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false); // the client does not read its answers
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof ReadTimeoutException)) {
        server.malformed.increment();
      }
      log.debug("DNS TCP {}: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close(); // a stream out of step cannot be resynchronised
    }
  }

  /** Fills {@code response}. A bug answers SERVFAIL, not silence. */
  private DnsResponder.Outcome respond(DnsQuery query, DnsResponse response, boolean udp) {
    long started = System.nanoTime();
    server.queries.increment();
    DnsResponder.Outcome outcome;
    try {
      outcome = DnsResponder.answer(server.zone(), server.answerCache(), query, response, udp);
    } catch (RuntimeException e) {
      log.warn("DNS: answering {}: {}", query, e.toString(), e);
      response.clear();
      response.setCode(DnsResponseCode.SERVFAIL);
      outcome = new DnsResponder.Outcome(DnsResponseCode.SERVFAIL, 0, false);
    }
    if (forwarder == null || !outcome.outsideZone()) {
      metrics.record(udp, typeName(query), response.code().intValue(), System.nanoTime() - started);
    }
    return outcome;
  }

  private static String typeName(DnsQuery query) {
    return query.count(DnsSection.QUESTION) == 1
        ? query.recordAt(DnsSection.QUESTION).type().name()
        : "";
  }

  /**
   * When the name is outside the zone and there are upstreams: releases the local answer, asks the
   * upstreams, and writes their response ({@code frame} makes it a UDP packet or a TCP frame)
   * straight to the socket, or SERVFAIL when none answers. False: answer locally.
   */
  private boolean forwarded(
      DnsResponder.Outcome outcome,
      DnsQuery query,
      DnsResponse response,
      boolean udp,
      ChannelHandlerContext ctx,
      Function<ByteBuf, Object> frame) {
    if (forwarder == null || !outcome.outsideZone()) {
      return false;
    }
    long started = System.nanoTime();
    DnsQuestion q = query.recordAt(DnsSection.QUESTION);
    DnsQuestion question = new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass());
    String type = typeName(query);
    // Raw bytes go from the first handler straight to the socket, past the DNS encoders.
    ChannelHandlerContext head = ctx.pipeline().firstContext();
    Channel channel = ctx.channel();
    response.setCode(DnsResponseCode.SERVFAIL); // what is sent if no upstream answers
    forwarder.forward(
        query.id(),
        question,
        outcome.payload(),
        udp,
        raw -> {
          metrics.record(
              udp,
              type,
              raw.getUnsignedByte(raw.readerIndex() + 3) & 0xf,
              System.nanoTime() - started);
          response.release();
          if (channel.isActive()) {
            head.writeAndFlush(frame.apply(raw), head.voidPromise());
          } else {
            raw.release();
          }
        },
        () -> {
          metrics.record(
              udp, type, DnsResponseCode.SERVFAIL.intValue(), System.nanoTime() - started);
          channel.writeAndFlush(response, channel.voidPromise());
        });
    return true;
  }
}
