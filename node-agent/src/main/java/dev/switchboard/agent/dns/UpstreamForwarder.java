package dev.switchboard.agent.dns;

import dev.switchboard.forwarder.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks upstream resolvers the questions outside the cluster zone, over UDP, one upstream after
 * the other ({@value #TIMEOUT_MILLIS} ms each), and hands the first response back with the
 * client's id; none answering: the caller answers SERVFAIL. The upstream query is made afresh
 * from the decoded question (header with RD, the question, an OPT record when the client sent
 * one, with its payload size capped at {@value DnsResponder#MAX_UDP_PAYLOAD}); the response is
 * passed on as it came but for the id. A response is taken only from the upstream asked, with the
 * id given to that question (a random one).
 *
 * <p>Bounded: at most {@value #MAX_IN_FLIGHT} questions in flight (beyond: SERVFAIL at once).
 * Confined to the DNS event loop: its socket is on it, and so are the pending map and timers.
 */
final class UpstreamForwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamForwarder.class);
  static final int MAX_IN_FLIGHT = 1024;
  static final long TIMEOUT_MILLIS = 1500;
  private static final int RD = 0x0100;

  private final List<InetSocketAddress> upstreams;
  private final Channel channel;
  /** Upstream id → the question waiting for it. */
  private final Map<Integer, Pending> pending = new HashMap<>();

  /** One question in flight: what to send, to whom it went last, and where the answer goes. */
  private final class Pending {
    final int clientId;
    final DnsQuestion question;
    final int payload;
    final Consumer<ByteBuf> reply;
    final Runnable failed;
    int upstream;
    int id;
    ScheduledFuture<?> timeout;

    Pending(int clientId, DnsQuestion question, int payload, Consumer<ByteBuf> reply,
        Runnable failed) {
      this.clientId = clientId;
      this.question = question;
      this.payload = payload;
      this.reply = reply;
      this.failed = failed;
    }
  }

  private UpstreamForwarder(List<InetSocketAddress> upstreams, Channel channel) {
    this.upstreams = upstreams;
    this.channel = channel;
  }

  /** A forwarder with its own socket (any address, a free port) on {@code group}. */
  static UpstreamForwarder start(Transport transport, EventLoopGroup group,
      List<InetSocketAddress> upstreams) throws IOException {
    if (upstreams.isEmpty()) {
      throw new IllegalArgumentException("upstreams: [] (expected: at least one)");
    }
    UpstreamForwarder[] self = new UpstreamForwarder[1];
    io.netty.channel.ChannelFuture f = new Bootstrap().group(group).channel(transport.datagramChannel())
        .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
          @Override
          protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            self[0].received(packet);
          }

          @Override
          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("DNS upstream socket: {}", cause.toString());
          }
        }).bind(new InetSocketAddress(0));
    if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
      f.channel().close();
      throw new IOException("cannot open the DNS upstream socket: " + f.cause());
    }
    self[0] = new UpstreamForwarder(List.copyOf(upstreams), f.channel());
    return self[0];
  }

  /**
   * Asks the upstreams {@code question} (on the event loop). {@code reply} gets the response
   * (the caller releases it); {@code failed} runs when none answered or too many are in flight.
   *
   * @param payload the client's EDNS0 payload size, -1 when it sent no OPT record
   */
  void forward(int clientId, DnsQuestion question, int payload, Consumer<ByteBuf> reply,
      Runnable failed) {
    if (pending.size() >= MAX_IN_FLIGHT) {
      failed.run();
      return;
    }
    send(new Pending(clientId, question, payload, reply, failed), 0);
  }

  private void send(Pending p, int upstream) {
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt(1 << 16);
    } while (pending.containsKey(id));
    ByteBuf query = channel.alloc().buffer(64);
    try {
      query.writeShort(id).writeShort(RD).writeShort(1).writeShort(0).writeShort(0)
          .writeShort(p.payload < 0 ? 0 : 1);
      DnsRecordEncoder.DEFAULT.encodeQuestion(p.question, query);
      if (p.payload >= 0) { // OPT: root, type 41, class = payload size, TTL 0, no data
        query.writeByte(0).writeShort(41)
            .writeShort(Math.min(DnsResponder.MAX_UDP_PAYLOAD, Math.max(DnsResponder.MIN_UDP_PAYLOAD, p.payload)))
            .writeInt(0).writeShort(0);
      }
    } catch (Exception e) {
      query.release();
      p.failed.run();
      return;
    }
    p.upstream = upstream;
    p.id = id;
    pending.put(id, p);
    p.timeout = channel.eventLoop().schedule(() -> timedOut(p), TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    channel.writeAndFlush(new DatagramPacket(query, upstreams.get(upstream)));
  }

  private void timedOut(Pending p) {
    if (pending.get(p.id) != p) {
      return;
    }
    pending.remove(p.id);
    if (p.upstream + 1 < upstreams.size()) {
      send(p, p.upstream + 1);
    } else {
      log.debug("DNS: no upstream answered {}", p.question.name());
      p.failed.run();
    }
  }

  private void received(DatagramPacket packet) {
    ByteBuf in = packet.content();
    if (in.readableBytes() < 12) {
      return;
    }
    Pending p = pending.get(in.getUnsignedShort(in.readerIndex()));
    if (p == null || !packet.sender().equals(upstreams.get(p.upstream))) {
      return; // late, unknown or not from the upstream asked: ignored
    }
    pending.remove(p.id);
    p.timeout.cancel(false);
    ByteBuf response = in.retainedDuplicate();
    response.setShort(response.readerIndex(), p.clientId);
    p.reply.accept(response);
  }

  /** Questions waiting for an upstream now. */
  int inFlight() {
    return pending.size();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
