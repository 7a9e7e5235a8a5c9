package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.http.ByteCounter;
import dev.switchboard.forwarder.internal.ConnectionLifecycle;
import dev.switchboard.forwarder.internal.ProxyHeaderReader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection in HTTP/2 mode: Netty's HTTP/2 frame codec terminates it (h2c with prior
 * knowledge) and each stream that opens with request headers is relayed by an {@link H2Call} that
 * picks its own endpoint (the listener's picker with this client's address, so ClientIP affinity
 * still pins the client's calls) and opens a stream on a pooled endpoint connection. Streams have
 * no channels: the connection's frames go to their calls by stream id ({@link H2Side}).
 *
 * <p>This is the lifecycle's per-request seam, as in HTTP/1.1 mode: {@link #open} does not dial, it
 * starts serving; the lifecycle still waits for a PROXY header, decides the outcome once, closes
 * the client and reports. Endpoint connections are the pool's.
 *
 * <p>Back-pressure: the connection itself is read freely (AUTO_READ on once serving), which is
 * bounded: the codec refuses DATA beyond the windows we advertised, and a stream's window opens
 * again only as its call's writes of those bytes to the endpoint complete.
 *
 * <p>Confined to the client channel's event loop (its pool, calls and endpoint channels too).
 */
final class H2Connection extends ConnectionLifecycle<H2Listener> {
  private static final Logger log = LoggerFactory.getLogger(H2Connection.class);

  private final H2Options h2;

  private final ClientSide side;

  /** Calls not finished. */
  private int unfinished;

  /** Calls that arrived before {@link #open}. */
  private List<H2Call> waiting = new ArrayList<>(1);

  private H2Pool pool;

  private Endpoint lastEndpoint;
  private int connectAttempts;
  private int finishedCalls;

  H2Connection(H2Listener listener, Channel client, ConnectionInfo info, Endpoint first) {
    super(listener, client, info, first);
    this.h2 = listener.spec().h2();
    this.side =
        new ClientSide(
            Http2FrameCodecBuilder.forServer()
                .initialSettings(
                    Http2Settings.defaultSettings()
                        .initialWindowSize(h2.streamWindowBytes())
                        .maxConcurrentStreams(h2.maxStreamsPerConnection()))
                .build());
  }

  /** Adds the client-side handlers; called on the acceptor's loop before registration. */
  void install() {
    client
        .pipeline()
        .addLast("bytes", new ByteCounter(this::countFromClient, this::countToClient))
        .addLast("codec", side.codec)
        .addLast("side", side);
  }

  @Override
  protected void open(Endpoint endpoint) {
    pool = listener.poolFor(client.eventLoop());
    forwarding();
    int extra = h2.connectionWindowBytes() - 65_535;
    if (extra > 0) {
      client.writeAndFlush(new DefaultHttp2WindowUpdateFrame(extra));
    }
    client.config().setAutoRead(true);
    List<H2Call> w = waiting;
    waiting = null;
    w.forEach(this::pick);
  }

  // ---- what calls use ----

  /** Picks an endpoint for {@code call} (now, or once the connection serves). */
  void pick(H2Call call) {
    if (waiting != null) {
      waiting.add(call);
      return;
    }
    listener.pickFor(info().client(), client.eventLoop(), call);
  }

  /** Another pick for a call whose endpoint could not take its stream (nothing was sent). */
  void repick(H2Call call, Endpoint failed) {
    listener.afterConnectFailure(
        info(),
        failed,
        1,
        new IllegalStateException("stream refused before any byte was sent"),
        Set.of(failed.socketAddress()),
        client.eventLoop(),
        call);
  }

  H2Pool pool() {
    return pool;
  }

  ConnectionInfo clientInfo() {
    return info();
  }

  boolean isClosing() {
    return closing();
  }

  void used(Endpoint endpoint, int attempts) {
    if (endpoint != null) {
      lastEndpoint = endpoint;
    }
    connectAttempts += attempts;
  }

  /** {@code call} is over (once per call). */
  void callDone() {
    unfinished--;
    finishedCalls++;
  }

  H2CallObserver.Call observe(Http2Headers request, Endpoint endpoint) {
    H2CallObserver.Call[] c = {null};
    safely(() -> c[0] = h2.observer().onRequest(info(), endpoint, request));
    return c[0] == null ? H2CallObserver.Call.NOOP : c[0];
  }

  void safely(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("H2CallObserver failed for {}", info(), e);
    }
  }

  // ---- the lifecycle's hooks ----

  @Override
  protected ChannelFuture openEndpoint(InetSocketAddress address) {
    throw new UnsupportedOperationException(
        "per-request mode: endpoint connections are the pool's");
  }

  @Override
  protected void forward(Channel endpoint) {
    throw new UnsupportedOperationException("per-request mode: open() serves the client itself");
  }

  @Override
  protected Outcome outcomeWhenUndecided() {
    return unfinished == 0 ? Outcome.COMPLETED : errorOutcome();
  }

  @Override
  protected Endpoint reportedEndpoint() {
    return lastEndpoint;
  }

  @Override
  protected int reportedAttempts() {
    return lastEndpoint == null ? 0 : Math.max(1, connectAttempts);
  }

  @Override
  protected void released() {
    side.calls().forEach(c -> c.clientGone("client connection closed"));
    if (pool != null && listener.privateConnections()) {
      pool.close();
    }
  }

  /** The client connection's frames and events, after its codec. */
  private final class ClientSide extends H2Side {
    ClientSide(Http2FrameCodec codec) {
      super(codec);
    }

    @Override
    H2Pool pool() {
      return pool;
    }

    @Override
    void frame(H2Call call, Http2StreamFrame frame) {
      call.clientFrame(frame);
    }

    @Override
    void orphan(Http2StreamFrame frame) {
      if (frame instanceof Http2HeadersFrame h) { // a new stream: a new call
        H2Call call = new H2Call(H2Connection.this, this, h.stream());
        bind(h.stream(), call);
        unfinished++;
        call.clientFrame(h);
      } else {
        drop(frame);
      }
    }

    @Override
    void streamClosed(H2Call call) {
      call.clientClosed();
    }

    @Override
    void streamFailed(H2Call call, Throwable cause) {
      call.clientGone("client stream failed: " + cause);
    }

    @Override
    void connectionFrame(Object msg) {
      if (msg instanceof ProxyHeaderReader.Client who) {
        clientIdentified(who);
      } else {
        ReferenceCountUtil.release(msg); // SETTINGS, PING, GOAWAY: the codec has acted on them
      }
    }

    @Override
    void connectionFailed(Throwable cause) {
      failed(cause);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      startIdleTimer(); // every byte counted either way (ByteCounter) touches it
      start();
    }
  }
}
