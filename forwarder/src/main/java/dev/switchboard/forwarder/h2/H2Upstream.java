package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.util.ReferenceCountUtil;
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
 * <p>Calls' streams are opened with the codec ({@link #newStream()}, then their request headers)
 * and their frames relayed as an {@link H2Side}: no stream channels. The HTTP/2 handlers go in only
 * once the dialer's preamble (a PROXY header) is written, so the connection preface follows it.
 * Confined to its channel's event loop (the pool's).
 */
final class H2Upstream extends H2Side {

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
  private Endpoint endpoint;
  private int dialAttempts;

  /** Streams reserved or open on it. */
  private int streams;

  private boolean draining;
  private boolean closed;
  private ScheduledFuture<?> idleClose;

  H2Upstream(H2Pool pool, H2Options options) {
    super(codec(options));
    this.pool = pool;
    this.options = options;
  }

  private static Http2FrameCodec codec(H2Options options) {
    return Http2FrameCodecBuilder.forClient()
        .initialSettings(
            Http2Settings.defaultSettings()
                .pushEnabled(false)
                .initialWindowSize(options.streamWindowBytes()))
        .encoderEnforceMaxConcurrentStreams(true) // a race with the SETTINGS: wait, not fail
        .build();
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
    ch.pipeline().addLast("codec", codec).addLast("upstream", this);
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
    if (channel != null) {
      limit = Math.min(limit, connection().local().maxActiveStreams());
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

  /**
   * The reserved place's stream for {@code call} (from {@link #newStream()}): {@code headers} (its
   * request's) open it, and its frames go to the call from then on. The place is given back ({@link
   * #release}) by the call, once the stream closed or could not be opened.
   */
  ChannelPromise open(H2Call call, Http2HeadersFrame headers, Http2FrameStream stream) {
    ChannelPromise p = write(headers.stream(stream)); // the codec gives the stream its id here
    if (!p.isDone() || p.isSuccess()) {
      bind(stream, call);
    }
    return p;
  }

  /**
   * Whether {@code stream} was never processed by the endpoint: above the last stream id of its
   * GOAWAY, or refused with it while still waiting for a stream slot here.
   */
  boolean refused(Http2FrameStream stream, Throwable writeFailure) {
    if (writeFailure instanceof StreamBufferingEncoder.Http2GoAwayException) {
      return true;
    }
    Http2Connection c = connection();
    return c.goAwayReceived() && stream.id() > c.local().lastStreamKnownByPeer();
  }

  /** A reserved place given back: its stream closed, or was not opened after all. */
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

  // ---- H2Side ----

  @Override
  H2Pool pool() {
    return pool;
  }

  @Override
  void frame(H2Call call, Http2StreamFrame frame) {
    call.endpointFrame(frame);
  }

  @Override
  void orphan(Http2StreamFrame frame) {
    drop(frame); // a stream whose call is gone
  }

  @Override
  void streamClosed(H2Call call) {
    call.endpointClosed();
  }

  @Override
  void streamFailed(H2Call call, Throwable cause) {
    call.endpointFailed("endpoint stream failed: " + cause);
  }

  @Override
  void connectionFrame(Object msg) {
    if (msg instanceof Http2SettingsFrame s && s.settings().maxConcurrentStreams() != null) {
      pool.learnedLimit(endpoint, s.settings().maxConcurrentStreams());
    } else if (msg instanceof Http2GoAwayFrame) {
      // Streams above its last stream id were closed before it came here (their calls asked
      // refused()); the endpoint takes no new streams: new calls go to another connection.
      draining = true;
      pool.forget(this);
      if (streams == 0) {
        ctx.close();
      }
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  void connectionFailed(Throwable cause) {
    ctx.close();
  }
}
