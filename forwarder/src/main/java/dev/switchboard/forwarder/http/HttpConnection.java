package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.ConnectionLifecycle;
import dev.switchboard.forwarder.internal.ProxyHeaderReader;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection in HTTP/1.1 mode, balanced per request: each request is an {@link
 * HttpExchange} that picks its own endpoint (the listener's picker with this client's address, so
 * ClientIP affinity still pins the client) and borrows a connection to it from an {@link
 * EndpointPool}. Requests are served one at a time, in order: a pipelined request waits (decoded,
 * not read further) until the response before it is complete, so nothing is reordered.
 *
 * <p>This is the lifecycle's per-request seam: {@link #open} does not dial; it starts serving. The
 * lifecycle still waits for a PROXY header, decides the outcome once, closes the client and
 * reports; endpoint connections are the pool's, so {@link #upstream()} stays null.
 *
 * <p>Back-pressure: AUTO_READ off; the client is read only when the next request is wanted or the
 * current request's body is, and only after the previous write towards the endpoint completed;
 * while a response is relayed, it is read ahead once ({@link #readAhead}).
 *
 * <p>Confined to the client channel's event loop (its pool and endpoint channels live there too).
 */
final class HttpConnection extends ConnectionLifecycle<HttpListener> {
  private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);

  private final HttpOptions http;

  /** Decoded client messages not yet sent: the rest of the current request, and pipelined ones. */
  private final ArrayDeque<Object> pending = new ArrayDeque<>(4);

  /** Set in {@link #open} (the client's loop is known only once it is registered). */
  private EndpointPool pool;

  /** The request being served; null between requests. */
  private HttpExchange exchange;

  /** Picked at accept (or after the PROXY header) for the first request; null once used. */
  private Endpoint firstPick;

  /** The current exchange turned into a byte tunnel (101): from now on bytes pass both ways. */
  private boolean tunnel;

  private boolean clientEof;

  /** Anything was written to the client (so a failure can no longer be a plain reset). */
  private boolean responded;

  private Endpoint lastEndpoint;
  private int connectAttempts;

  HttpConnection(HttpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
    super(listener, client, info, first);
    this.http = listener.spec().http();
  }

  /** Adds the client-side handlers; called on the acceptor's loop before registration. */
  void install() {
    int max = http.maxHeaderBytes();
    client
        .pipeline()
        .addLast("bytes", new ByteCounter(this::countFromClient, this::countToClient))
        .addLast("codec", new HttpServerCodec(max, max, 64 * 1024))
        .addLast("side", new ClientSide());
  }

  @Override
  protected void open(Endpoint endpoint) {
    firstPick = endpoint;
    pool = listener.poolFor(client.eventLoop());
    forwarding();
    next();
  }

  /** Starts the next request when none is running: the oldest decoded one, else reads for one. */
  private void next() {
    if (phase() != Phase.FORWARDING || exchange != null) {
      return;
    }
    for (Object msg; (msg = pending.poll()) != null; ) {
      if (!(msg instanceof HttpRequest request)) {
        ReferenceCountUtil.release(msg); // the rest of a request that was answered early
        continue;
      }
      if (request.decoderResult().isFailure()) {
        log.debug(
            "{}: connection {}: bad request: {}",
            info().listener(),
            info().id(),
            request.decoderResult().cause());
        ReferenceCountUtil.release(msg);
        closeNow(Outcome.ERROR);
        return;
      }
      HttpExchange started = new HttpExchange(this, request);
      exchange = started;
      Endpoint pick = firstPick;
      firstPick = null;
      if (pick != null && listener.candidates().candidate(pick.socketAddress()) != null) {
        started.picked(pick); // else the client waited while its endpoint left the set: pick again
      } else {
        listener.pickFor(info().client(), client.eventLoop(), started::picked);
      }
      return;
    }
    if (clientEof) {
      closeAfterWrites(Outcome.COMPLETED); // every request answered, and the client sends no more
    } else {
      client.read();
    }
  }

  // ---- what exchanges call ----

  EndpointPool pool() {
    return pool;
  }

  Channel clientChannel() {
    return client;
  }

  ConnectionInfo clientInfo() {
    return info();
  }

  /** The current request's next body part, or null when it has not arrived yet. */
  Object pollBody() {
    Object msg = pending.peek();
    return msg == null || msg instanceof HttpRequest ? null : pending.poll();
  }

  boolean clientEnded() {
    return clientEof;
  }

  /** Something of the client's is decoded and not yet sent. */
  boolean bodyPending() {
    return !pending.isEmpty();
  }

  /**
   * The current request needs more body: read the client (the caller waited for its last write).
   */
  void readClient() {
    if (!closing() && !clientEof) {
      client.read();
    }
  }

  /**
   * The current request is written whole: read the client again while its response is relayed,
   * unless something of the client's is already waiting. A keep-alive client sends nothing until it
   * has the response, so its socket stays in epoll's read set from one request to the next (no
   * epoll_ctl to leave it and one to come back, two system calls a request); what a pipelining
   * client sends meanwhile is one read, decoded and kept in order; an end of stream or a reset is
   * seen at once.
   */
  void readAhead() {
    if (pending.isEmpty()) {
      readClient();
    }
  }

  void responding() {
    responded = true;
  }

  boolean responded() {
    return responded;
  }

  void used(Endpoint endpoint, int attempts) {
    if (endpoint != null) {
      lastEndpoint = endpoint;
    }
    connectAttempts += attempts;
  }

  HttpExchangeObserver.Exchange observe(HttpRequest request, Endpoint endpoint) {
    HttpExchangeObserver.Exchange[] e = {null};
    safely(() -> e[0] = http.observer().onRequest(info(), endpoint, request));
    return e[0] == null ? HttpExchangeObserver.Exchange.NOOP : e[0];
  }

  void safely(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("HttpExchangeObserver failed for {}", info(), e);
    }
  }

  /**
   * The exchange is over: the next request starts, or the client is closed when either side said
   * close.
   */
  void exchangeDone(HttpExchange done, boolean keepAlive) {
    if (exchange != done) {
      return;
    }
    exchange = null;
    if (!keepAlive) {
      closeAfterWrites(Outcome.COMPLETED);
    } else {
      next();
    }
  }

  /**
   * The exchange's response switched protocols (101) and was written: both sides are a byte tunnel
   * now. What the client pipelined behind the upgrade request is not HTTP for the endpoint any
   * more: dropped (clients wait for the 101 before they speak the new protocol).
   */
  void becameTunnel() {
    tunnel = true;
    if (client.pipeline().get("codec") != null) {
      client.pipeline().remove("codec");
    }
    for (Object msg; (msg = pending.poll()) != null; ) {
      ReferenceCountUtil.release(msg);
    }
    readClient();
  }

  /** Ends the client connection: an exchange failed (the reason is decided here, first wins). */
  void end(Outcome why, boolean reset) {
    if (reset) {
      abort(why);
    } else {
      closeAfterWrites(why);
    }
  }

  Outcome errorOutcomeNow() {
    return errorOutcome();
  }

  boolean isClosing() {
    return closing();
  }

  void fail(Throwable cause) {
    failed(cause);
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
    return exchange == null || tunnel ? Outcome.COMPLETED : errorOutcome();
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
    for (Object msg; (msg = pending.poll()) != null; ) {
      ReferenceCountUtil.release(msg);
    }
    HttpExchange e = exchange;
    exchange = null;
    if (e != null) {
      e.abandon("connection closed before the response was complete");
    }
    if (pool != null && listener.privateConnections()) {
      pool.close();
    }
  }

  private final class ClientSide extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      startIdleTimer();
      start();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ProxyHeaderReader.Client who) {
        clientIdentified(who);
      } else if (closing()) {
        ReferenceCountUtil.release(msg);
      } else if (tunnel) {
        exchange.tunnelFromClient(msg);
      } else {
        pending.add(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (closing()) {
        return;
      }
      if (tunnel) {
        exchange.tunnelClientReadComplete();
      } else if (exchange == null) {
        next();
      } else {
        exchange.requestBodyArrived();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        clientEof = true;
        if (tunnel) {
          exchange.tunnelClientEnded();
        } else if (exchange == null) {
          next();
        } else {
          exchange.clientEnded();
        }
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failed(cause);
    }
  }
}
