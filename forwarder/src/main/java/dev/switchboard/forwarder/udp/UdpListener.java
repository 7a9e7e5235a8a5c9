package dev.switchboard.forwarder.udp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.ListenerBase;
import dev.switchboard.forwarder.internal.ListenerCounters;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP listener: one socket on the listener's event loop and a table of client flows (client
 * address → {@link UdpFlow}), each with its own socket connected to the endpoint picked for it.
 *
 * <p>Concurrency: the socket, the table, the flows' sockets and the picker all live on the
 * listener's loop, so the table is a plain map. It is kept in last-activity order (both directions
 * touch it), so the periodic sweep only looks at its head; it is bounded by {@code udpMaxFlows}.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener}.
 */
public final class UdpListener extends ListenerBase {
  private static final Logger log = LoggerFactory.getLogger(UdpListener.class);

  /** Largest UDP payload over IPv4 is 65,507 bytes; one buffer must hold any datagram. */
  private static final int MAX_DATAGRAM = 65_536;

  private final LinkedHashMap<InetSocketAddress, UdpFlow> flows =
      new LinkedHashMap<>(16, 0.75f, true);
  private final long idleNanos;
  private final Bootstrap upstreamTemplate;
  private ScheduledFuture<?> sweeper;

  public UdpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial);
    if (spec.protocol() != Protocol.UDP) {
      throw new IllegalArgumentException("spec.protocol: " + spec.protocol() + " (expected: UDP)");
    }
    this.idleNanos = spec.options().udpIdleTimeout().toNanos();
    this.upstreamTemplate =
        new Bootstrap()
            .group(loop)
            .channel(ctx.transport().datagramChannel())
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM));
  }

  @Override
  protected ChannelFuture bind() {
    // No SO_REUSEADDR: for UDP on Linux it would let a second socket share a taken port silently.
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(ctx.transport().datagramChannel())
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
            .handler(new FromClients());
    if (spec.options().reusePort()) {
      b.option(ctx.transport().reusePortOption(), true);
    }
    return b.bind(spec.bindAddress());
  }

  Bootstrap upstreamBootstrap(ChannelHandler handler) {
    return upstreamTemplate.clone().handler(handler);
  }

  ListenerCounters counters() {
    return counters;
  }

  /**
   * Sends an endpoint's reply to the flow's client from the listener socket; false when dropped.
   */
  boolean reply(UdpFlow flow, ByteBuf data) {
    flows.get(flow.client); // touch: replies keep a flow alive too
    Channel socket = channel();
    if (socket == null || !socket.isActive() || !socket.isWritable()) {
      counters.droppedDatagrams.increment();
      data.release();
      return false;
    }
    socket.writeAndFlush(new DatagramPacket(data, flow.client), socket.voidPromise());
    return true;
  }

  /** Ends a flow: forgets it, closes its socket, reports it. */
  void closeFlow(UdpFlow flow, Outcome outcome) {
    flows.remove(flow.client, flow);
    endFlow(flow, outcome);
  }

  private void endFlow(UdpFlow flow, Outcome outcome) {
    if (flow.closed) {
      return;
    }
    flow.close();
    ctx.closed(
        flow.info,
        new ConnectionSummary(
            Optional.of(flow.endpoint),
            outcome,
            flow.bytesFromClient,
            flow.bytesToClient,
            1,
            Duration.ofNanos(System.nanoTime() - flow.startNanos)));
    connectionEnded();
  }

  private void sweep() {
    long now = System.nanoTime();
    Iterator<UdpFlow> it = flows.values().iterator();
    while (it.hasNext()) {
      UdpFlow f = it.next();
      if (now - f.lastActiveNanos < idleNanos) {
        return; // later ones were active more recently
      }
      it.remove();
      endFlow(f, Outcome.IDLE_TIMEOUT);
    }
  }

  @Override
  protected void targetChanged(EndpointSet endpoints) {
    // A flow keeps its endpoint while it is in the set and serving (even terminating: it drains);
    // others are dropped so that the client's next datagram picks a live endpoint.
    List<UdpFlow> stale = new ArrayList<>();
    for (UdpFlow f : flows.values()) {
      Endpoint now = endpoints.find(f.endpoint.socketAddress());
      if (now == null || !(now.ready() || now.serving())) {
        stale.add(f);
      }
    }
    for (UdpFlow f : stale) {
      closeFlow(f, Outcome.CLOSED);
    }
  }

  @Override
  protected void socketClosed() {
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    List<UdpFlow> all = new ArrayList<>(flows.values());
    flows.clear();
    for (UdpFlow f : all) {
      endFlow(f, Outcome.CLOSED);
    }
  }

  /** Datagrams from clients, on the listener's loop. */
  private final class FromClients extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      long period =
          Math.max(
              TimeUnit.MILLISECONDS.toNanos(10),
              Math.min(idleNanos / 4, TimeUnit.SECONDS.toNanos(1)));
      sweeper =
          loop.scheduleAtFixedRate(UdpListener.this::sweep, period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext chc, Object msg) {
      if (!(msg instanceof DatagramPacket)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      DatagramPacket packet = (DatagramPacket) msg;
      InetSocketAddress client = packet.sender();
      UdpFlow flow = flows.get(client);
      if (flow == null) {
        flow = newFlow(client);
        if (flow == null) {
          packet.release();
          return;
        }
      }
      flow.fromClient(packet.content()); // the flow owns the content now
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext chc, Throwable cause) {
      // A send to a client failed (e.g. ICMP errors); the socket itself stays usable.
      log.debug("{}: {}", spec.describe(), cause.toString());
    }

    private UdpFlow newFlow(InetSocketAddress client) {
      if (isClosed()) {
        return null;
      }
      if (flows.size() >= spec.options().udpMaxFlows()) {
        counters.droppedDatagrams.increment();
        return null;
      }
      Endpoint endpoint = targeting.pick(client, Set.of());
      if (endpoint == null) {
        counters.noEndpoint.increment();
        return null;
      }
      ConnectionInfo info =
          new ConnectionInfo(
              ctx.nextId(), spec.name(), Protocol.UDP, client, localAddress(), Instant.now());
      UdpFlow flow = new UdpFlow(UdpListener.this, client, endpoint, info);
      flows.put(client, flow);
      counters.total.increment();
      counters.active.incrementAndGet();
      ctx.opened(info);
      flow.connect();
      return flow;
    }
  }
}
