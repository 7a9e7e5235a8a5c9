package dev.switchboard.agent.dns;

import dev.switchboard.forwarder.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
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
 * Asks upstream resolvers the questions outside the cluster zone, one upstream after the other
 * ({@value #TIMEOUT_MILLIS} ms each), and hands the first response back with the client's id; none
 * answering: the caller answers SERVFAIL. The upstream query is made afresh from the decoded
 * question (header with RD, the question, an OPT record when the client sent one, with its payload
 * size capped at {@value DnsResponder#MAX_UDP_PAYLOAD}); the response is passed on as it came but
 * for the id. A UDP response is taken only from the upstream asked, with the id given to that
 * question (a random one).
 *
 * <p>UDP first; a truncated answer (TC) is asked again over TCP of the same upstream (a connection
 * of its own, at most {@value #MAX_TCP_IN_FLIGHT} at once, beyond that the truncated answer is
 * passed on), so the whole answer reaches TCP clients and the {@link UpstreamCache}. A UDP client
 * gets what fits its payload size: a whole answer too big for it is sent as an empty one with TC,
 * and the client asks again over TCP (then from the cache).
 *
 * <p>Bounded: at most {@value #MAX_IN_FLIGHT} questions in flight (beyond: SERVFAIL at once).
 * Confined to the DNS event loop: its socket is on it, and so are the pending map, the cache, the
 * TCP exchanges and the timers.
 */
final class UpstreamForwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UpstreamForwarder.class);
  static final int MAX_IN_FLIGHT = 1024;
  static final int MAX_TCP_IN_FLIGHT = 64;
  static final long TIMEOUT_MILLIS = 1500;
  private static final int RD = 0x0100;
  private static final int TC = 0x0200;

  private final Transport transport;
  private final List<InetSocketAddress> upstreams;
  private final Channel channel;
  private final UpstreamCache cache;

  /** Upstream id → the question waiting for it over UDP. */
  private final Map<Integer, Pending> pending = new HashMap<>();

  private int tcpInFlight;

  /** One question in flight: what to send, to whom it went last, and where the answer goes. */
  private static final class Pending {
    final int clientId;
    final DnsQuestion question;
    final int payload;
    final boolean udp;
    final UpstreamCache.Key key;
    final Consumer<ByteBuf> reply;
    final Runnable failed;
    int upstream;
    int id;
    ScheduledFuture<?> timeout;

    Pending(
        int clientId,
        DnsQuestion question,
        int payload,
        boolean udp,
        Consumer<ByteBuf> reply,
        Runnable failed) {
      this.clientId = clientId;
      this.question = question;
      this.payload = payload;
      this.udp = udp;
      this.key =
          new UpstreamCache.Key(
              DnsZone.absolute(question.name()),
              question.type().intValue(),
              question.dnsClass(),
              payload >= 0);
      this.reply = reply;
      this.failed = failed;
    }
  }

  private UpstreamForwarder(
      Transport transport,
      List<InetSocketAddress> upstreams,
      Channel channel,
      UpstreamCache cache) {
    this.transport = transport;
    this.upstreams = upstreams;
    this.channel = channel;
    this.cache = cache;
  }

  /** A forwarder with its own socket (any address, a free port) on {@code group}. */
  static UpstreamForwarder start(
      Transport transport, EventLoopGroup group, List<InetSocketAddress> upstreams)
      throws IOException {
    if (upstreams.isEmpty()) {
      throw new IllegalArgumentException("upstreams: [] (expected: at least one)");
    }
    UpstreamForwarder[] self = new UpstreamForwarder[1];
    ChannelFuture f =
        new Bootstrap()
            .group(group)
            .channel(transport.datagramChannel())
            .handler(
                new SimpleChannelInboundHandler<DatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                    self[0].received(packet);
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    log.debug("DNS upstream socket: {}", cause.toString());
                  }
                })
            .bind(new InetSocketAddress(0));
    if (!f.awaitUninterruptibly(10, TimeUnit.SECONDS) || !f.isSuccess()) {
      f.channel().close();
      throw new IOException("cannot open the DNS upstream socket: " + f.cause());
    }
    self[0] =
        new UpstreamForwarder(
            transport,
            List.copyOf(upstreams),
            f.channel(),
            new UpstreamCache(UpstreamCache.DEFAULT_MAX_ENTRIES, UpstreamCache.DEFAULT_MAX_BYTES));
    return self[0];
  }

  /**
   * Answers {@code question} from the cache or asks the upstreams (on the event loop). {@code
   * reply} gets the response (the caller releases it); {@code failed} runs when none answered or
   * too many are in flight.
   *
   * @param payload the client's EDNS0 payload size, -1 when it sent no OPT record
   * @param udp the client asked over UDP: the response must fit its payload size
   */
  void forward(
      int clientId,
      DnsQuestion question,
      int payload,
      boolean udp,
      Consumer<ByteBuf> reply,
      Runnable failed) {
    Pending p = new Pending(clientId, question, payload, udp, reply, failed);
    ByteBuf cached = cache.get(p.key, clientId, System.nanoTime(), channel.alloc());
    if (cached != null) {
      deliver(p, cached);
      return;
    }
    if (pending.size() >= MAX_IN_FLIGHT) {
      failed.run();
      return;
    }
    send(p, 0);
  }

  private ByteBuf query(Pending p, int id) throws Exception {
    ByteBuf query = channel.alloc().buffer(64);
    try {
      query
          .writeShort(id)
          .writeShort(RD)
          .writeShort(1)
          .writeShort(0)
          .writeShort(0)
          .writeShort(p.payload < 0 ? 0 : 1);
      DnsRecordEncoder.DEFAULT.encodeQuestion(p.question, query);
      if (p.payload >= 0) { // OPT: root, type 41, class = payload size, TTL 0, no data
        query
            .writeByte(0)
            .writeShort(41)
            .writeShort(
                Math.min(
                    DnsResponder.MAX_UDP_PAYLOAD,
                    Math.max(DnsResponder.MIN_UDP_PAYLOAD, p.payload)))
            .writeInt(0)
            .writeShort(0);
      }
      return query;
    } catch (Exception e) {
      query.release();
      throw e;
    }
  }

  private void send(Pending p, int upstream) {
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt(1 << 16);
    } while (pending.containsKey(id));
    ByteBuf query;
    try {
      query = query(p, id);
    } catch (Exception e) {
      p.failed.run();
      return;
    }
    p.upstream = upstream;
    p.id = id;
    pending.put(id, p);
    p.timeout =
        channel.eventLoop().schedule(() -> timedOut(p), TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    channel.writeAndFlush(new DatagramPacket(query, upstreams.get(upstream)));
  }

  private void timedOut(Pending p) {
    if (pending.get(p.id) != p) {
      return;
    }
    pending.remove(p.id);
    next(p);
  }

  /** The next upstream, or SERVFAIL when this was the last. */
  private void next(Pending p) {
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
    if ((in.getUnsignedShort(in.readerIndex() + 2) & TC) != 0 && tcpInFlight < MAX_TCP_IN_FLIGHT) {
      overTcp(p, in.retainedDuplicate());
      return;
    }
    answered(p, in.retainedDuplicate());
  }

  /** An upstream's whole answer: kept when it may be, then passed on. */
  private void answered(Pending p, ByteBuf response) {
    cache.put(p.key, response, System.nanoTime());
    response.setShort(response.readerIndex(), p.clientId);
    deliver(p, response);
  }

  /**
   * Asks {@code p}'s upstream again over TCP. A failed exchange moves on to the next upstream, as a
   * silent one does; after the last, its truncated UDP answer is passed on (better than SERVFAIL:
   * the client may ask over TCP itself).
   */
  private void overTcp(Pending p, ByteBuf truncated) {
    InetSocketAddress upstream = upstreams.get(p.upstream);
    tcpInFlight++;
    boolean[] done = new boolean[1];
    Consumer<ByteBuf> finish =
        whole -> {
          if (done[0]) {
            if (whole != null) {
              whole.release();
            }
            return;
          }
          done[0] = true;
          tcpInFlight--;
          if (whole != null) {
            truncated.release();
            answered(p, whole);
          } else if (p.upstream + 1 < upstreams.size()) {
            truncated.release();
            next(p);
          } else {
            truncated.setShort(truncated.readerIndex(), p.clientId);
            deliver(p, truncated);
          }
        };
    ChannelFuture connect =
        new Bootstrap()
            .group(channel.eventLoop())
            .channel(transport.socketChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) TIMEOUT_MILLIS)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                            new SimpleChannelInboundHandler<ByteBuf>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, ByteBuf frame) {
                                if (frame.readableBytes() >= 12
                                    && frame.getUnsignedShort(frame.readerIndex()) == p.id) {
                                  finish.accept(frame.retain());
                                }
                                ctx.close();
                              }

                              @Override
                              public void channelInactive(ChannelHandlerContext ctx) {
                                finish.accept(null);
                              }

                              @Override
                              public void exceptionCaught(
                                  ChannelHandlerContext ctx, Throwable cause) {
                                log.debug(
                                    "DNS upstream {} over TCP: {}", upstream, cause.toString());
                                ctx.close();
                              }
                            });
                  }
                })
            .connect(upstream);
    Channel ch = connect.channel();
    ScheduledFuture<?> timeout =
        channel
            .eventLoop()
            .schedule(
                () -> {
                  ch.close();
                  finish.accept(null);
                },
                TIMEOUT_MILLIS,
                TimeUnit.MILLISECONDS);
    ch.closeFuture().addListener(f -> timeout.cancel(false));
    connect.addListener(
        f -> {
          if (!f.isSuccess()) {
            finish.accept(null);
            return;
          }
          try {
            ByteBuf query = query(p, p.id);
            ch.writeAndFlush(ch.alloc().buffer(2).writeShort(query.readableBytes()));
            ch.writeAndFlush(query);
          } catch (Exception e) {
            ch.close();
          }
        });
  }

  /** Hands {@code response} to the client, cut to an empty TC answer when UDP cannot carry it. */
  private void deliver(Pending p, ByteBuf response) {
    int limit =
        p.payload < 0
            ? DnsResponder.MIN_UDP_PAYLOAD
            : Math.min(
                DnsResponder.MAX_UDP_PAYLOAD, Math.max(DnsResponder.MIN_UDP_PAYLOAD, p.payload));
    if (p.udp && response.readableBytes() > limit) {
      ByteBuf cut = truncatedCopy(response, p.payload >= 0);
      response.release();
      response = cut;
    }
    p.reply.accept(response);
  }

  /**
   * Header and question of {@code response}, TC set, no records (our OPT if the client has EDNS0).
   */
  private ByteBuf truncatedCopy(ByteBuf response, boolean edns) {
    byte[] m = new byte[response.readableBytes()];
    response.getBytes(response.readerIndex(), m);
    int end;
    try {
      end = UpstreamCache.skipQuestions(m);
    } catch (RuntimeException e) {
      end = 12; // a question that does not parse: the header alone, no question
      m[4] = 0;
      m[5] = 0;
    }
    ByteBuf out = channel.alloc().buffer(end + 11).writeBytes(m, 0, end);
    out.setShort(2, out.getUnsignedShort(2) | TC);
    out.setShort(6, 0).setShort(8, 0).setShort(10, edns ? 1 : 0);
    if (edns) {
      out.writeBytes(WireCodec.OPT.bytes());
    }
    return out;
  }

  /** Questions waiting for an upstream now. */
  int inFlight() {
    return pending.size();
  }

  /** The answer cache (tests). */
  UpstreamCache cache() {
    return cache;
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
