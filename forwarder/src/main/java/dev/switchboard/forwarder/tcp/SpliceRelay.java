package dev.switchboard.forwarder.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Both directions of a connection moved by splice(2), socket → pipe → socket, without the bytes
 * entering Java. Both channels are epoll channels on one event loop (Netty requires it).
 *
 * <p>Back-pressure is Netty's: when the destination cannot take more, the source stops reading
 * until the pipe is drained, so at most one pipe (64 KiB by default) is held per direction, in the
 * kernel.
 *
 * <p>End of stream needs care. With splice, Netty reports the peer's FIN (EPOLLRDHUP) as soon as it
 * arrives, possibly while data sent before it is still in the socket, and it never reports the real
 * end of the data. So on that event this direction stops the splice reading, waits until the bytes
 * already spliced are written out, then reads what is left itself, up to the real end of stream
 * (the FIN has arrived, so this never waits), and only then shuts down the destination's output.
 *
 * <p>Counting and idleness come from TCP_INFO (see {@link TcpInfo}), sampled every few seconds and
 * at close; bytes of a connection that is reset between samples may go uncounted.
 *
 * <p>Confined to the connection's event loop.
 */
final class SpliceRelay {
  private static final int DRAIN_CHUNK = 64 * 1024;
  private static final long SAMPLE_MILLIS = 5_000;

  private final TcpConnection connection;
  private final EpollSocketChannel client;
  private final EpollSocketChannel endpoint;
  private final long idleTimeoutMillis;
  private final Direction up;
  private final Direction down;
  private final long startNanos = System.nanoTime();
  private long sampledFromClient;
  private long sampledToClient;
  private ScheduledFuture<?> tick;

  SpliceRelay(TcpConnection connection, Channel client, Channel endpoint, long idleTimeoutMillis) {
    this.connection = connection;
    this.client = (EpollSocketChannel) client;
    this.endpoint = (EpollSocketChannel) endpoint;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.up = new Direction(this.client, this.endpoint);
    this.down = new Direction(this.endpoint, this.client);
  }

  static boolean supports(Channel client, Channel endpoint) {
    return client instanceof EpollSocketChannel
        && endpoint instanceof EpollSocketChannel
        && client.eventLoop() == endpoint.eventLoop();
  }

  @SuppressWarnings(
      "deprecation") // spliceTo is deprecated in Netty 4.2 without a replacement; it works
  void start() {
    // AUTO_READ is still off on both: no byte moves before both splices are queued.
    client.spliceTo(endpoint, Integer.MAX_VALUE).addListener(this::spliceEnded);
    endpoint.spliceTo(client, Integer.MAX_VALUE).addListener(this::spliceEnded);
    client.config().setAutoRead(true);
    endpoint.config().setAutoRead(true);
    schedule(idleTimeoutMillis > 0 ? Math.min(idleTimeoutMillis, SAMPLE_MILLIS) : SAMPLE_MILLIS);
  }

  private void spliceEnded(Future<? super Void> f) {
    if (!f.isSuccess()) {
      connection.failed(f.cause()); // ignored when the connection is already closing
    }
  }

  void inputShutdown(boolean fromClient) {
    (fromClient ? up : down).inputShutdown();
  }

  /**
   * Splice mode never delivers buffers, but if Netty ever did, forwarding in order keeps the stream
   * intact.
   */
  void stray(boolean fromClient, ByteBuf buf) { // counted by TCP_INFO like spliced bytes
    (fromClient ? endpoint : client).writeAndFlush(buf).addListener(this::written);
  }

  private void written(Future<? super Void> f) {
    if (!f.isSuccess()) {
      connection.failed(f.cause());
    }
  }

  /** Adds what the kernel received since the last sample to the connection's byte counts. */
  void sample() {
    long in = TcpInfo.bytesReceived(client, up.endOfStreamRead);
    if (in > sampledFromClient) {
      connection.count(true, in - sampledFromClient);
      sampledFromClient = in;
    }
    long out = TcpInfo.bytesReceived(endpoint, down.endOfStreamRead);
    if (out > sampledToClient) {
      connection.count(false, out - sampledToClient);
      sampledToClient = out;
    }
  }

  void stop() {
    if (tick != null) {
      tick.cancel(false);
    }
  }

  private void schedule(long millis) {
    tick = client.eventLoop().schedule(this::tick, millis, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    if (connection.closing()) {
      return;
    }
    sample();
    long next = SAMPLE_MILLIS;
    if (idleTimeoutMillis > 0) {
      long idle = idleMillis();
      if (idle >= idleTimeoutMillis) {
        connection.idle();
        return;
      }
      next = Math.min(next, idleTimeoutMillis - idle);
    }
    schedule(Math.max(next, 1));
  }

  /** Time since data last moved on either socket, never more than the connection's age. */
  private long idleMillis() {
    long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    for (long m : new long[] {TcpInfo.millisSinceData(client), TcpInfo.millisSinceData(endpoint)}) {
      if (m >= 0) {
        idle = Math.min(idle, m);
      }
    }
    return idle;
  }

  /** One direction's end of stream, see the class comment. */
  private final class Direction {
    private final EpollSocketChannel src;
    private final EpollSocketChannel dst;
    private boolean ended;

    /** {@link #drain()} read the end of stream: the FIN is in the kernel's byte count. */
    boolean endOfStreamRead;

    Direction(EpollSocketChannel src, EpollSocketChannel dst) {
      this.src = src;
      this.dst = dst;
    }

    void inputShutdown() {
      if (ended) {
        return;
      }
      ended = true;
      src.config().setAutoRead(false);
      quiesce();
    }

    /**
     * Waits until every splice already queued on {@code dst} is written. A splice that finishes may
     * turn {@code src}'s AUTO_READ back on (Netty's own flow control) and splice more, so repeat
     * until a round ends with AUTO_READ still off: then nothing reads {@code src} but us.
     */
    private void quiesce() {
      dst.writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              (ChannelFuture f) -> {
                if (!f.isSuccess()) {
                  connection.failed(f.cause());
                } else if (src.config().isAutoRead()) {
                  src.config().setAutoRead(false);
                  quiesce();
                } else {
                  drain();
                }
              });
    }

    /** Reads the rest up to end of stream, one chunk in flight at a time. */
    private void drain() {
      if (connection.closing()) {
        return;
      }
      if (src.config().isAutoRead()) { // never read the socket together with Netty's splice
        src.config().setAutoRead(false);
        quiesce();
        return;
      }
      ByteBuf buf = src.alloc().directBuffer(DRAIN_CHUNK);
      int n;
      try {
        ByteBuffer nio = buf.internalNioBuffer(0, DRAIN_CHUNK);
        n = src.fd().read(nio, nio.position(), nio.limit());
      } catch (IOException | RuntimeException e) {
        buf.release();
        connection.failed(e);
        return;
      }
      if (n > 0) {
        buf.writerIndex(n);
        dst.writeAndFlush(buf)
            .addListener(
                (ChannelFuture f) -> {
                  if (f.isSuccess()) {
                    drain();
                  } else {
                    connection.failed(f.cause());
                  }
                });
        return;
      }
      buf.release();
      if (n == 0) { // EAGAIN: not at the end after all; look again shortly
        src.eventLoop().schedule(this::drain, 1, TimeUnit.MILLISECONDS);
        return;
      }
      endOfStreamRead = true;
      // Shutting the output down fails whatever is still queued, so only after the queue is empty.
      dst.writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              (ChannelFuture w) -> {
                if (!w.isSuccess()) {
                  connection.failed(w.cause());
                  return;
                }
                Fin.send(dst, connection);
              });
    }
  }
}
