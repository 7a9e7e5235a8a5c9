package dev.switchboard.forwarder.h2;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection of the relay, as the handler right after its {@link Http2FrameCodec}: the
 * client's ({@link H2Connection}) or an endpoint's ({@link H2Upstream}). No stream has a channel of
 * its own: a stream's frames go to the {@link H2Call} it belongs to, found by stream id, and the
 * call writes the other side's frames here, on that side's {@link Http2FrameStream}.
 *
 * <p>Flow control is explicit: the codec returns no window by itself, so bytes read stay counted
 * against the sender's stream and connection windows until {@link #consumed} (the call does that
 * once it has written them to the other side; a stream's close returns what it still held). Writes
 * are flushed once per connection per loop turn ({@link H2Pool#flushSoon}).
 *
 * <p>Confined to the connection's event loop.
 */
abstract class H2Side extends Http2ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(H2Side.class);

  /** The calls with a stream on this connection, by stream id (until that stream closes). */
  private final IntObjectHashMap<H2Call> calls = new IntObjectHashMap<>();

  /** This side's codec, which the subclass puts in the pipeline right before this handler. */
  final Http2FrameCodec codec;

  private final Http2Connection connection;
  ChannelHandlerContext ctx;

  /** A flush of this connection is queued in the pool for the end of the loop's turn. */
  boolean flushQueued;

  H2Side(Http2FrameCodec codec) {
    this.codec = codec;
    this.connection = codec.connection();
  }

  @Override
  protected void handlerAdded0(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** The pool that flushes this connection (null until known: then flushed at once). */
  abstract H2Pool pool();

  /** A frame of {@code call}'s stream on this connection. */
  abstract void frame(H2Call call, Http2StreamFrame frame);

  /** A frame of a stream no call has (yet). */
  abstract void orphan(Http2StreamFrame frame);

  /** {@code call}'s stream on this connection closed (or the connection did). */
  abstract void streamClosed(H2Call call);

  /** A frame of {@code call}'s stream was in error; the stream is reset. */
  abstract void streamFailed(H2Call call, Throwable cause);

  /** A frame of the connection (SETTINGS, GOAWAY, PING, ...) or another message. */
  abstract void connectionFrame(Object msg);

  /** A connection error (the codec closes the connection). */
  abstract void connectionFailed(Throwable cause);

  // ---- what calls use ----

  final Http2Connection connection() {
    return connection;
  }

  final void bind(Http2FrameStream stream, H2Call call) {
    calls.put(stream.id(), call);
  }

  /** {@code stream} never opened: no close will come for it. */
  final void unbind(Http2FrameStream stream) {
    calls.remove(stream.id());
  }

  final boolean isActive() {
    return ctx.channel().isActive();
  }

  /** Writes {@code frame} (its stream set), flushed at the end of this loop turn. */
  final ChannelPromise write(Http2StreamFrame frame) {
    ChannelPromise p = ctx.newPromise();
    ctx.write(frame, p);
    flushSoon();
    return p;
  }

  /** Resets {@code stream} with {@code code}, unless it is closed already. */
  final void reset(Http2FrameStream stream, Http2Error code) {
    if (stream.state() != Http2Stream.State.CLOSED && isActive()) {
      ctx.write(new DefaultHttp2ResetFrame(code).stream(stream), ctx.newPromise());
      flushSoon();
    }
  }

  /** {@code bytes} read on {@code stream} are dealt with: the sender may send as many again. */
  final void consumed(Http2FrameStream stream, int bytes) {
    if (bytes <= 0) {
      return;
    }
    Http2Stream s = connection.stream(stream.id());
    if (s == null) {
      return; // closed: its bytes went back to the connection's window then
    }
    try {
      if (connection.local().flowController().consumeBytes(s, bytes)) {
        flushSoon(); // a WINDOW_UPDATE was written
      }
    } catch (Http2Exception e) {
      log.warn("returning {} bytes to stream {} failed", bytes, stream.id(), e);
      ctx.close();
    }
  }

  /** Drops a frame nobody relays (its bytes returned to the sender's window). */
  final void drop(Http2StreamFrame frame) {
    if (frame instanceof Http2DataFrame d) {
      consumed(d.stream(), d.initialFlowControlledBytes());
    }
    ReferenceCountUtil.release(frame);
  }

  final void flushSoon() {
    if (flushQueued) {
      return;
    }
    H2Pool p = pool();
    if (p == null) {
      ctx.flush();
    } else {
      flushQueued = true;
      p.flushSoon(this);
    }
  }

  /** The calls with a stream here (a copy). */
  final List<H2Call> calls() {
    return new ArrayList<>(calls.values());
  }

  // ---- from the codec ----

  @Override
  public final void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2StreamFrame f && f.stream() != null) {
      H2Call call = calls.get(f.stream().id());
      if (call != null) {
        frame(call, f);
      } else {
        orphan(f);
      }
    } else {
      connectionFrame(msg);
    }
  }

  @Override
  public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2FrameStreamEvent e) {
      // Writability changes are not needed: window goes back as writes complete, not as read.
      if (e.type() == Http2FrameStreamEvent.Type.State
          && e.stream().state() == Http2Stream.State.CLOSED) {
        H2Call call = calls.remove(e.stream().id());
        if (call != null) {
          streamClosed(call);
        }
      }
      return;
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof Http2FrameStreamException e) {
      reset(e.stream(), e.error());
      H2Call call = calls.get(e.stream().id());
      if (call != null) {
        streamFailed(call, cause.getCause() == null ? cause : cause.getCause());
      }
    } else {
      connectionFailed(cause);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // The codec closed every stream first (so their calls heard it); this is for any left.
    List<H2Call> left = calls();
    calls.clear();
    left.forEach(this::streamClosed);
  }
}
