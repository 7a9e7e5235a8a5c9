package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.Endpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One endpoint connection of an {@link EndpointPool} and the last handler of its pipeline (after
 * the HTTP client codec). While leased, everything the endpoint sends goes to the {@link Lessee}
 * (one exchange); while idle, anything at all (bytes, an end of stream, a reset) means the
 * connection can no longer be trusted, and it leaves the pool.
 *
 * <p>Confined to its channel's event loop, which is its pool's and its lessees' loop.
 */
final class PooledConnection extends ChannelInboundHandlerAdapter {

  /** What an exchange is told of the connection it leased. */
  interface Lessee {
    void onMessage(Object msg);

    void onReadComplete();

    /**
     * End of stream, reset or error: the connection is unusable (told once; {@code cause} null for
     * an end of stream).
     */
    void onClosed(Throwable cause);
  }

  private final EndpointPool pool;
  private Channel channel;
  private Endpoint endpoint;

  /** Null while idle (or still connecting). */
  private Lessee lessee;

  /** Exchanges this connection carried before the current one: > 0 means a reused connection. */
  private int exchanges;

  /** The endpoint ended it, or sent what it should not have: never pooled again. */
  private boolean broken;

  private boolean closedReported;
  private int dialAttempts;

  /** {@code System.nanoTime()} when it last went idle; read by the pool's expiry. */
  long idleSinceNanos;

  PooledConnection(EndpointPool pool) {
    this.pool = pool;
  }

  /** The dial completed: the connection is ready for its first exchange. */
  void connected(Channel ch, Endpoint connectedTo, int attempts) {
    this.channel = ch;
    this.endpoint = connectedTo;
    this.dialAttempts = attempts;
  }

  /** Connect attempts it took (a refused endpoint is retried on another). */
  int dialAttempts() {
    return dialAttempts;
  }

  Channel channel() {
    return channel;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  boolean reused() {
    return exchanges > 0;
  }

  boolean broken() {
    return broken;
  }

  void markBroken() {
    broken = true;
  }

  boolean usable() {
    return !broken && channel.isActive();
  }

  void lease(Lessee to) {
    lessee = to;
    // A read is pending since the connection went idle (to see the endpoint close it); for a fresh
    // one this is the first. The response's first bytes are read with it.
    channel.read();
  }

  /** The exchange is over: idle now (the pool decides whether it stays). */
  void unlease() {
    lessee = null;
    exchanges++;
  }

  /** Closes it; whoever holds it is not told (they asked). */
  void close() {
    broken = true;
    lessee = null;
    if (channel != null) {
      channel.close();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (lessee != null) {
      lessee.onMessage(msg);
      return;
    }
    ReferenceCountUtil.release(msg); // unasked-for bytes while idle: the framing is lost
    unusable(null);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (lessee != null) {
      lessee.onReadComplete();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      unusable(null);
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    unusable(null);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    unusable(cause);
  }

  private void unusable(Throwable cause) {
    broken = true;
    if (closedReported) {
      return;
    }
    closedReported = true;
    Lessee l = lessee;
    if (l != null) {
      l.onClosed(cause);
    } else if (channel != null) {
      pool.idleConnectionLost(this);
    }
  }
}
