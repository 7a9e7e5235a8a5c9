package dev.switchboard.agent.dns;

import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Transport;
import dev.switchboard.telemetry.Telemetry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's cluster DNS: UDP and TCP on one port of the node address, answered from the
 * current {@link DnsZone} with Netty's DNS codec.
 *
 * <p>Transport: the forwarder's choice ({@link Transport}: native epoll on Linux, with recvmmsg and
 * sendmmsg for UDP; NIO elsewhere). Threading: one event loop thread of its own (never a forwarding
 * loop, so a flood of queries does not slow forwarded connections, and the reverse) runs both
 * sockets and every TCP connection. The zone is replaced by the agent's executor ({@link #update},
 * after each sync) and read here through a volatile field: no lock on the query path.
 *
 * <p>Bounded by construction: a query is answered as soon as it is decoded (nothing queues per
 * query); UDP answers are dropped when the socket cannot take them; TCP connections are at most
 * {@value #MAX_TCP_CONNECTIONS}, closed after {@value #TCP_IDLE_SECONDS} s without a query, and
 * stop being read while their answers are not being read. Malformed packets get FORMERR when they
 * have a query's header (12 bytes, QR clear) and are dropped otherwise; a TCP connection that sends
 * one is closed.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int MAX_TCP_CONNECTIONS = 256;
  static final int TCP_IDLE_SECONDS = 10;
  private static final int HEADER_BYTES = 12;

  /**
   * {@code -Dswitchboard.dns.fastPath=false} sends every UDP query through Netty's codec, as before
   * the {@link FastPath}: for measuring one against the other (bench/dns).
   */
  static final String FAST_PATH_PROPERTY = "switchboard.dns.fastPath";

  /** Largest query read over UDP; a longer datagram is cut and then fails to decode. */
  private static final int MAX_UDP_QUERY = 4096;

  private static final int BIND_TIMEOUT_SECONDS = 10;
  private static final int UDP_RECEIVE_BUFFER = 4 << 20;
  private static final int MAX_TCP_MESSAGE = 65535;

  /** Queries read per recvmmsg(2) call (epoll). */
  private static final int UDP_BATCH = 16;

  private final EventLoopGroup group;
  private final Channel udp;
  private final Channel tcp;

  /** The zone answered from; written by the agent's executor, read by the event loop. */
  private volatile DnsZone zone;

  private final AtomicInteger tcpConnections = new AtomicInteger();
  private final LongAdder queries = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder truncated = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder fastAnswers = new LongAdder();

  /** Confined to the event loop, like everything that records into it. */
  private final DnsMetrics metrics;

  /** The current zone's answers in wire form; confined to the event loop. */
  private final AnswerCache answers = new AnswerCache();

  /** Null without upstreams. */
  private final UpstreamForwarder forwarder;

  private DnsServer(
      Transport transport,
      EventLoopGroup group,
      DnsZone zone,
      InetSocketAddress address,
      DnsMetrics metrics,
      List<InetSocketAddress> upstreams,
      boolean fastPath)
      throws IOException {
    this.group = group;
    this.zone = zone;
    this.metrics = metrics;
    this.forwarder =
        upstreams.isEmpty() ? null : UpstreamForwarder.start(transport, group, upstreams);
    Bootstrap udpBootstrap = new Bootstrap().group(group).channel(transport.datagramChannel());
    if (transport.kind() == Transport.Kind.EPOLL) {
      // recvmmsg(2): up to UDP_BATCH queries per system call, each in a slice of one buffer
      // (sendmmsg(2) for the answers comes with the epoll transport when several are queued).
      udpBootstrap
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_UDP_QUERY)
          .option(
              ChannelOption.RCVBUF_ALLOCATOR,
              new FixedRecvByteBufAllocator(MAX_UDP_QUERY * UDP_BATCH));
    } else {
      udpBootstrap.option(
          ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_UDP_QUERY));
    }
    this.udp =
        bind(
            udpBootstrap
                // A burst of queries waits in the kernel while the loop is busy: the default (~208
                // KiB,
                // ~280 queries) dropped half of a 500-query burst; the kernel caps this at
                // rmem_max.
                .option(ChannelOption.SO_RCVBUF, UDP_RECEIVE_BUFFER)
                .option(
                    ChannelOption.WRITE_BUFFER_WATER_MARK,
                    new WriteBufferWaterMark(256 << 10, 512 << 10))
                .handler(
                    new ChannelInitializer<Channel>() {
                      @Override
                      protected void initChannel(Channel ch) {
                        if (fastPath) {
                          ch.pipeline().addLast(new FastPath(DnsServer.this));
                        }
                        ch.pipeline()
                            .addLast(new LenientQueryDecoder())
                            .addLast(new DatagramDnsResponseEncoder(WireCodec.ENCODER))
                            .addLast(new UdpResponder());
                      }
                    })
                .bind(address),
            "UDP",
            address);
    try {
      this.tcp =
          bind(
              new ServerBootstrap()
                  .group(group)
                  .channel(transport.serverSocketChannel())
                  .option(ChannelOption.SO_REUSEADDR, true)
                  .childOption(
                      ChannelOption.WRITE_BUFFER_WATER_MARK,
                      new WriteBufferWaterMark(64 << 10, 128 << 10))
                  .childHandler(
                      new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                          if (tcpConnections.incrementAndGet() > MAX_TCP_CONNECTIONS) {
                            tcpConnections.decrementAndGet();
                            dropped.increment();
                            ch.close();
                            return;
                          }
                          ch.closeFuture().addListener(f -> tcpConnections.decrementAndGet());
                          ch.pipeline()
                              .addLast(new ReadTimeoutHandler(TCP_IDLE_SECONDS, TimeUnit.SECONDS))
                              .addLast(new TcpDnsQueryDecoder(WireCodec.DECODER, MAX_TCP_MESSAGE))
                              .addLast(new TcpDnsResponseEncoder(WireCodec.ENCODER))
                              .addLast(new TcpResponder());
                        }
                      })
                  .bind(address),
              "TCP",
              address);
    } catch (IOException e) {
      udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      if (forwarder != null) {
        forwarder.close();
      }
      throw e;
    }
  }

  /**
   * Binds UDP and TCP {@code address:config.port()} and answers from an empty zone (SERVFAIL inside
   * it) until the first {@link #update}.
   *
   * @param serviceCidr the ClusterIP range: its unknown reverse names are NXDOMAIN
   * @param telemetry where CoreDNS-named metrics go ({@link DnsMetrics})
   * @throws IOException naming the protocol and address when either cannot be bound
   */
  public static DnsServer start(
      DnsConfig config, InetAddress address, String serviceCidr, String node, Telemetry telemetry)
      throws IOException {
    return start(
        config,
        address,
        serviceCidr,
        node,
        telemetry,
        !"false".equals(System.getProperty(FAST_PATH_PROPERTY)));
  }

  /** As above; without {@code fastPath} every query goes through Netty's codec (tests). */
  static DnsServer start(
      DnsConfig config,
      InetAddress address,
      String serviceCidr,
      String node,
      Telemetry telemetry,
      boolean fastPath)
      throws IOException {
    if (!config.enabled()) {
      throw new IllegalArgumentException("config: " + config + " (expected: a port, DNS on)");
    }
    DnsZone empty = DnsZone.empty(config.zone(), config.ttlSeconds(), serviceCidr);
    Transport transport = Transport.select(null);
    EventLoopGroup group =
        transport.newEventLoopGroup(1, new DefaultThreadFactory("switchboard-dns-" + node, true));
    try {
      DnsServer server =
          new DnsServer(
              transport,
              group,
              empty,
              new InetSocketAddress(address, config.port()),
              new DnsMetrics(telemetry),
              config.upstreams(),
              fastPath);
      log.info(
          "cluster DNS for {} on {} (UDP and TCP), TTL {} s, {}",
          empty.origin(),
          server.address(),
          config.ttlSeconds(),
          config.upstreams().isEmpty()
              ? "other names refused"
              : "other names forwarded to " + config.upstreams());
      return server;
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Applies the services that changed in a sync (on the agent's executor): builds the next zone and
   * publishes it. Serial: the state's version. A failure keeps the previous zone (logged).
   */
  public void update(long version, Map<ServiceName, ChangeTracker.Change<ServiceView>> changes) {
    DnsZone current = zone;
    if (changes.isEmpty() && current.ready()) {
      return;
    }
    try {
      Map<ServiceName, ServiceView> views = new HashMap<>();
      changes.forEach((name, change) -> views.put(name, change.current()));
      zone = current.update(version, views);
    } catch (RuntimeException e) {
      log.error(
          "cluster DNS: version {} not applied, still answering from version {}: {}",
          version,
          current.serial(),
          e.toString(),
          e);
    }
  }

  /** The zone answered from now. */
  public DnsZone zone() {
    return zone;
  }

  /** The bound UDP address (TCP is on the same one). */
  public InetSocketAddress address() {
    return (InetSocketAddress) udp.localAddress();
  }

  /** Queries answered (both protocols, any response code). */
  public long queries() {
    return queries.sum();
  }

  /** Packets that did not decode as a query. */
  public long malformed() {
    return malformed.sum();
  }

  /** UDP answers sent with TC. */
  public long truncated() {
    return truncated.sum();
  }

  /** Answers not sent (socket full) and TCP connections refused (too many). */
  public long dropped() {
    return dropped.sum();
  }

  /** UDP queries answered by the {@link FastPath} (also counted in {@link #queries}). */
  public long fastAnswers() {
    return fastAnswers.sum();
  }

  /** The zone's answers in wire form: for the event loop only. */
  AnswerCache answerCache() {
    return answers;
  }

  /** A {@link FastPath} answer, counted as the codec path counts its own. */
  void answeredFast(int qtype, int rcode, boolean truncatedAnswer, long nanos) {
    queries.increment();
    fastAnswers.increment();
    if (truncatedAnswer) {
      truncated.increment();
    }
    metrics.recordUdp(qtype, rcode, nanos);
  }

  void countDropped() {
    dropped.increment();
  }

  @Override
  public void close() {
    if (forwarder != null) {
      forwarder.close();
    }
    udp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    tcp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static Channel bind(ChannelFuture f, String protocol, InetSocketAddress address)
      throws IOException {
    String where =
        "cannot bind DNS "
            + protocol
            + " "
            + address.getAddress().getHostAddress()
            + ":"
            + address.getPort();
    if (!f.awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      f.channel().close();
      throw new IOException(where + ": no answer within " + BIND_TIMEOUT_SECONDS + " s");
    }
    if (!f.isSuccess()) {
      Throwable cause = f.cause();
      throw new IOException(
          where
              + ": "
              + (cause.getMessage() == null
                  ? cause.getClass().getSimpleName()
                  : cause.getMessage()),
          cause);
    }
    return f.channel();
  }

  /** A datagram that did not decode but has a query's header: answered FORMERR with its id. */
  private record Malformed(
      int id, DnsOpCode opCode, InetSocketAddress sender, InetSocketAddress recipient) {}

  /** Netty's decoder, with a decoding failure turned into a {@link Malformed} or a drop. */
  private final class LenientQueryDecoder extends DatagramDnsQueryDecoder {
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
        malformed.increment();
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

  private final class UdpResponder extends SimpleChannelInboundHandler<Object> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      DatagramDnsResponse response;
      if (msg instanceof DatagramDnsQuery query) {
        response =
            new DatagramDnsResponse(query.recipient(), query.sender(), query.id(), query.opCode());
        DnsResponder.Outcome outcome = respond(query, response, true);
        if (outcome.truncated()) {
          truncated.increment();
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
        dropped.increment();
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

  private final class TcpResponder extends SimpleChannelInboundHandler<DnsQuery> {
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
        malformed.increment();
      }
      log.debug("DNS TCP {}: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close(); // a stream out of step cannot be resynchronised
    }
  }

  /** Fills {@code response}. A bug answers SERVFAIL, not silence. */
  private DnsResponder.Outcome respond(DnsQuery query, DnsResponse response, boolean udp) {
    long started = System.nanoTime();
    queries.increment();
    DnsResponder.Outcome outcome;
    try {
      outcome = DnsResponder.answer(zone, answers, query, response, udp);
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
