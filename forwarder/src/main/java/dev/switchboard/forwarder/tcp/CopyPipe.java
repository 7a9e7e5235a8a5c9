package dev.switchboard.forwarder.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.ArrayDeque;

/**
 * One direction of a connection in copy mode: bytes read from {@code src} are written to {@code
 * dst}.
 *
 * <p>Back-pressure: {@code src} has AUTO_READ off and is asked for the next read only when the last
 * write to {@code dst} succeeded, so one read buffer per direction is in flight (two, at most, from
 * the client while the endpoint is being connected). (After the peer's FIN, epoll drains the socket
 * without being asked; that is bounded by the socket's receive buffer, data the kernel already
 * holds.) End of stream: once everything written before it is flushed, {@code dst}'s output is shut
 * down (FIN passes through) and the connection is told this direction is done.
 *
 * <p>Confined to the connection's event loop (both channels share it).
 */
final class CopyPipe implements ChannelFutureListener {
  private final TcpConnection connection;
  private final Channel src;
  private final boolean fromClient;

  /** Null until the endpoint is connected (client → endpoint direction only). */
  private Channel dst;

  /** What the client sent while the endpoint was being connected; null when nothing. */
  private ArrayDeque<ByteBuf> early;

  private boolean eof;

  CopyPipe(TcpConnection connection, Channel src, Channel dst, boolean fromClient) {
    this.connection = connection;
    this.src = src;
    this.dst = dst;
    this.fromClient = fromClient;
  }

  /** Nothing read yet: the direction may still be spliced instead. */
  boolean pristine() {
    return early == null && !eof;
  }

  /** Connects the pipe to its destination: forwards what came early, then starts reading. */
  void attach(Channel destination) {
    dst = destination;
    if (early != null) {
      for (ByteBuf b; (b = early.poll()) != null; ) {
        forward(b);
      }
      early = null;
    }
    if (eof) {
      finish();
    } else {
      src.read();
    }
  }

  void start() {
    src.read();
  }

  void onRead(ByteBuf buf) {
    if (dst == null) {
      boolean first = early == null;
      if (first) {
        early = new ArrayDeque<>(4);
      }
      early.add(buf);
      if (first && buf.isWritable()) {
        // The client's first bytes did not fill the buffer (typically a whole request): ask
        // for one more read now, which keeps EPOLLIN armed, instead of letting Netty disarm it
        // and arming it again once the endpoint is connected (two epoll_ctl calls). At most
        // one more buffer is held while connecting.
        src.read();
      }
      return;
    }
    forward(buf);
  }

  private void forward(ByteBuf buf) {
    connection.count(fromClient, buf.readableBytes());
    // A failed write reaches exceptionCaught through the void promise, and so connection.failed().
    dst.writeAndFlush(buf, dst.voidPromise());
    ChannelOutboundBuffer out = dst.unsafe().outboundBuffer();
    if (out == null) {
      return; // dst is closed or shut down: that failure is being reported
    }
    if (out.isEmpty()) {
      // The socket took it all at once, the usual case: no promise to allocate and complete
      // (and no new activity stamp: the read that brought it was stamped a moment ago).
      readNext();
    } else {
      // Only part of it left: an empty write behind it completes once the rest has.
      dst.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(this);
    }
  }

  /** Everything forwarded so far has left: read the next buffer only now. */
  private void readNext() {
    if (!eof) {
      src.read();
    }
  }

  /** Completion of the empty write behind a partly written forward. */
  @Override
  public void operationComplete(ChannelFuture f) {
    if (!f.isSuccess()) {
      connection.failed(f.cause());
    } else {
      connection.written(); // bytes moved since the read: activity for the idle timeout
      readNext();
    }
  }

  void onEof() {
    if (eof) {
      return;
    }
    eof = true;
    if (dst != null) {
      finish();
    }
  }

  private void finish() {
    ChannelOutboundBuffer out = dst.unsafe().outboundBuffer();
    if (out != null && out.isEmpty()) {
      Fin.send(dst, connection); // nothing is waiting to be written
      return;
    }
    // The empty write completes after every earlier write: only then is the FIN sent.
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

  /** Drops what is still held; the connection is closing. */
  void release() {
    if (early != null) {
      for (ByteBuf b; (b = early.poll()) != null; ) {
        b.release();
      }
      early = null;
    }
  }
}
