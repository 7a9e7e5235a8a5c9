package dev.switchboard.agent.dns;

import dev.switchboard.agent.state.ChangeTracker;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Transport;
import dev.switchboard.telemetry.Telemetry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
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
 *
 * <p>Two paths: a UDP query whose answer this zone snapshot already gave is answered from its bytes
 * by the {@link FastPath} (no Netty DNS codec: most of the CPU per query was there); TCP, and every
 * other UDP query, go through Netty's DNS codec ({@link CodecPath}), which also fills the fast
 * path's table. The two write the same bytes.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int MAX_TCP_CONNECTIONS = 256;
  static final int TCP_IDLE_SECONDS = 10;

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
  final LongAdder queries = new LongAdder();
  final LongAdder malformed = new LongAdder();
  final LongAdder truncated = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder fastAnswers = new LongAdder();

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
    CodecPath codec = new CodecPath(this, metrics, forwarder);
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
                            .addLast(codec.new LenientQueryDecoder())
                            .addLast(new DatagramDnsResponseEncoder(WireCodec.ENCODER))
                            .addLast(codec.new UdpResponder());
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
                              .addLast(codec.new TcpResponder());
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
}
