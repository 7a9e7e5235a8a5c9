package dev.switchboard.forwarder.udp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One client's UDP flow: a datagram socket connected to the chosen endpoint. Datagrams from the
 * client go out of it; what the endpoint answers comes back on it and is sent to the client from
 * the listener's socket, so the client sees replies from the address it talked to.
 *
 * <p>Confined to the listener's event loop, where the flow's socket is registered too.
 */
final class UdpFlow {
  /** Datagrams held while the flow's socket is being set up; more are dropped. */
  private static final int MAX_EARLY = 16;

  final InetSocketAddress client;
  final Endpoint endpoint;
  final ConnectionInfo info;
  final long startNanos = System.nanoTime();
  private final UdpListener listener;
  private Channel upstream;
  private ArrayDeque<ByteBuf> early = new ArrayDeque<>(2);
  long lastActiveNanos = startNanos;
  long bytesFromClient;
  long bytesToClient;
  boolean closed;

  UdpFlow(UdpListener listener, InetSocketAddress client, Endpoint endpoint, ConnectionInfo info) {
    this.listener = listener;
    this.client = client;
    this.endpoint = endpoint;
    this.info = info;
  }

  void connect() {
    ChannelFuture f = listener.upstreamBootstrap(new Replies()).connect(endpoint.socketAddress());
    upstream = f.channel();
    f.addListener(
        (ChannelFuture done) -> {
          if (closed) {
            return;
          }
          if (!done.isSuccess()) {
            listener.counters().connectFailures.increment();
            listener.closeFlow(this, Outcome.CONNECT_FAILED);
            return;
          }
          ArrayDeque<ByteBuf> held = early;
          early = null;
          for (ByteBuf b; (b = held.poll()) != null; ) {
            send(b);
          }
        });
  }

  /** A datagram from the client; ownership of {@code data} passes here. */
  void fromClient(ByteBuf data) {
    lastActiveNanos = System.nanoTime();
    if (early == null) {
      send(data);
    } else if (early.size() < MAX_EARLY) {
      early.add(data);
    } else {
      listener.counters().droppedDatagrams.increment();
      data.release();
    }
  }

  private void send(ByteBuf data) {
    if (!upstream.isWritable()) { // never queue without bound: UDP may drop, so drop here
      listener.counters().droppedDatagrams.increment();
      data.release();
      return;
    }
    int n = data.readableBytes();
    bytesFromClient += n;
    listener.counters().bytesIn.add(n);
    upstream.writeAndFlush(data, upstream.voidPromise());
  }

  /** Closes the flow's socket and drops what it still holds. The listener does the bookkeeping. */
  void close() {
    closed = true;
    if (early != null) {
      for (ByteBuf b; (b = early.poll()) != null; ) {
        b.release();
      }
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  /** Replies from the endpoint. */
  private final class Replies extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf data;
      if (msg instanceof DatagramPacket) {
        data = ((DatagramPacket) msg).content();
      } else if (msg instanceof ByteBuf) {
        data = (ByteBuf) msg;
      } else {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (closed) {
        data.release();
        return;
      }
      lastActiveNanos = System.nanoTime();
      int n = data.readableBytes();
      if (listener.reply(UdpFlow.this, data)) {
        bytesToClient += n;
        listener.counters().bytesOut.add(n);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Typically ICMP port unreachable: forget the flow so that the next datagram picks again.
      if (!closed) {
        listener.counters().connectFailures.increment();
        listener.closeFlow(UdpFlow.this, Outcome.ERROR);
      }
    }
  }
}
