package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection to an endpoint, shared by the calls of every client connection on its event
 * loop (Envoy's HTTP/2 connection pool does the same). It counts the streams it carries, reserved
 * ones included, and takes no new one when that reaches the endpoint's
 * SETTINGS_MAX_CONCURRENT_STREAMS (or our cap): the pool then opens another connection. After the
 * endpoint's GOAWAY, or when its endpoint leaves the set, it is <em>draining</em>: no new streams,
 * open ones finish (Netty's graceful close sends our GOAWAY and waits for them).
 *
 * <p>The HTTP/2 handlers go in only once the dialer's preamble (a PROXY header) is written, so the
 * connection preface follows it. Confined to its channel's event loop (the pool's).
 */
final class H2Upstream extends ChannelInboundHandlerAdapter {

  /** Told when the connection is connected (or could not be). */
  interface Waiter {
    void leased(H2Upstream upstream);

    void failed(Outcome why, Endpoint lastTried, int attempts);
  }

  private final H2Pool pool;
  private final H2Options options;

  /** Calls waiting for the connect; null once connected. */
  private List<Waiter> waiting = new ArrayList<>(2);

  private Channel channel;
  private Http2FrameCodec codec;
  private Endpoint endpoint;
  private int dialAttempts;

  /** Streams reserved or open on it. */
  private int streams;

  private boolean draining;
  private boolean closed;
  private ScheduledFuture<?> idleClose;

  H2Upstream(H2Pool pool, H2Options options) {
    this.pool = pool;
    this.options = options;
  }

  // ---- connecting ----

  void addWaiter(Waiter w) {
    streams++;
    waiting.add(w);
  }

  boolean connecting() {
    return waiting != null;
  }

  /** The dial succeeded (possibly to another endpoint than asked): the HTTP/2 handlers go in. */
  void connected(Channel ch, Endpoint connectedTo, int attempts) {
    channel = ch;
    endpoint = connectedTo;
    dialAttempts = attempts;
    codec =
        Http2FrameCodecBuilder.forClient()
            .initialSettings(
                Http2Settings.defaultSettings()
                    .pushEnabled(false)
                    .initialWindowSize(options.streamWindowBytes()))
            .encoderEnforceMaxConcurrentStreams(true) // a race with the SETTINGS: wait, not fail
            .build();
    ch.pipeline()
        .addLast("codec", codec)
        .addLast("mux", new Http2MultiplexHandler(new RefusePush()))
        .addLast("upstream", this);
    int extra = options.connectionWindowBytes() - 65_535;
    if (extra > 0) {
      ch.write(new DefaultHttp2WindowUpdateFrame(extra)); // stream null: the connection's window
    }
    ch.flush();
    ch.config().setAutoRead(true); // bounded: peers may only send what the windows allow
    ch.closeFuture().addListener(f -> lost());
    List<Waiter> w = waiting;
    waiting = null;
    w.forEach(x -> x.leased(this));
  }

  /** The dial failed: every waiter is told, the pool forgets it. */
  void connectFailed(Outcome why, Endpoint lastTried, int attempts) {
    List<Waiter> w = waiting;
    waiting = null;
    closed = true;
    streams = 0;
    pool.forget(this);
    if (w != null) {
      w.forEach(x -> x.failed(why, lastTried, attempts));
    }
  }

  // ---- streams ----

  /** Room for one more stream now (open, not draining, under the stream limit). */
  boolean hasRoom() {
    if (closed || draining) {
      return false;
    }
    int limit = pool.limit(endpoint);
    if (codec != null) {
      limit = Math.min(limit, codec.connection().local().maxActiveStreams());
    }
    return streams < limit;
  }

  /** Takes one stream's place (for a call that asked the pool). */
  void reserve() {
    streams++;
    if (idleClose != null) {
      idleClose.cancel(false);
      idleClose = null;
    }
  }

  /** Opens the reserved stream; the stream's place is given back when it closes. */
  Future<Http2StreamChannel> openStream(ChannelHandler handler) {
    Future<Http2StreamChannel> f =
        new Http2StreamChannelBootstrap(channel)
            .option(ChannelOption.AUTO_READ, false)
            .handler(handler)
            .open();
    f.addListener(
        o -> {
          if (o.isSuccess()) {
            ((Http2StreamChannel) o.getNow()).closeFuture().addListener(c -> release());
          } else {
            release();
          }
        });
    return f;
  }

  /** A reserved place not used after all (the call ended before opening its stream). */
  void release() {
    streams--;
    if (streams == 0 && !closed) {
      if (draining) {
        channel.close();
      } else {
        long nanos = options.poolIdleTimeout().toNanos();
        idleClose = channel.eventLoop().schedule(this::closeIfIdle, nanos, TimeUnit.NANOSECONDS);
      }
    }
  }

  private void closeIfIdle() {
    idleClose = null;
    if (streams == 0) {
      drain();
    }
  }

  /**
   * No new streams; open ones finish, then the connection closes (Netty's close of an HTTP/2
   * connection sends our GOAWAY). Closing at once would also wait for the streams, but a GOAWAY
   * while they run makes some servers cut them.
   */
  void drain() {
    if (draining || closed) {
      return;
    }
    draining = true;
    pool.forget(this);
    if (channel != null && streams == 0) {
      channel.close(); // else when the last stream closes (release)
    }
  }

  Endpoint endpoint() {
    return endpoint;
  }

  int dialAttempts() {
    return dialAttempts;
  }

  int streams() {
    return streams;
  }

  private void lost() {
    closed = true;
    if (idleClose != null) {
      idleClose.cancel(false);
    }
    pool.forget(this);
  }

  // ---- the connection's own frames (after the multiplexer: not a stream's) ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2SettingsFrame s && s.settings().maxConcurrentStreams() != null) {
      pool.learnedLimit(endpoint, s.settings().maxConcurrentStreams());
    } else if (msg instanceof Http2GoAwayFrame) {
      draining = true; // the endpoint takes no new streams: new calls go to another connection
      pool.forget(this);
      if (streams == 0) {
        ctx.close();
      }
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** We disabled push: a pushed stream is closed (reset) at once. */
  private static final class RefusePush extends ChannelInboundHandlerAdapter {
    @Override
    public boolean isSharable() {
      return true;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }
  }
}
