package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * One request and its response over one leased endpoint connection: the request (head, then its
 * body as it arrives) goes to the endpoint, the response comes back to the client, each direction
 * reading only after its last write completed. At the end the connection goes back to the pool when
 * both sides allowed keep-alive and the exchange ended cleanly, else it is closed.
 *
 * <p>Failures, as Envoy's and HAProxy's HTTP/1 pools handle them: a connect that fails is retried
 * by the {@link EndpointPool}'s dialer before any byte was sent; a reused connection that turns out
 * dead before any response byte arrived is replaced once by a fresh one when the request is
 * idempotent and has no body (it can be sent again as is); otherwise the client gets a 502 and is
 * closed. Once response bytes reached the client, a failure can only close it.
 *
 * <p>A 101 response turns the exchange into a byte tunnel between the client and this (then
 * private) endpoint connection for the rest of the client connection.
 *
 * <p>Confined to the client's event loop.
 */
final class HttpExchange implements PooledConnection.Lessee, EndpointPool.Waiter {

  private final HttpConnection owner;
  private final HttpRequest request;

  /** Idempotent, without a body: may be written again to a fresh connection. */
  private final boolean replayable;

  private final boolean requestKeepAlive;

  /**
   * The request asks to switch protocols: the client is not read ahead, so that what it sends after
   * a 101 reaches the tunnel as bytes, not the HTTP decoder.
   */
  private final boolean upgrade;

  private HttpExchangeObserver.Exchange observed;
  private Endpoint endpoint;
  private PooledConnection conn;
  private boolean requestSent;
  private boolean retried;
  private boolean responseStarted;
  private boolean responseDone;
  private boolean informational;
  private boolean switching;
  private boolean tunnel;
  private boolean responseKeepAlive;

  /** The client connection stays open after this exchange (decided with the response head). */
  private boolean clientKeepAlive;

  /** Request and (once seen) response are HTTP/1.1: the endpoint connection may be pooled. */
  private boolean http11;

  private boolean closeDelimited;

  /** Over: completed, failed or abandoned; late callbacks are ignored. */
  private boolean over;

  private ChannelFuture lastToClient;
  private ChannelFuture lastToEndpoint;

  HttpExchange(HttpConnection owner, HttpRequest request) {
    this.owner = owner;
    this.request = request;
    this.requestKeepAlive = HttpUtil.isKeepAlive(request);
    this.http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
    if (!requestKeepAlive && http11) {
      HopByHop.dropClose(request.headers());
    }
    this.replayable = HopByHop.replayable(request);
    this.upgrade = request.headers().contains(HttpHeaderNames.UPGRADE);
  }

  /** The endpoint for this request (null: none is ready). */
  void picked(Endpoint picked) {
    if (over || owner.isClosing()) {
      return;
    }
    if (picked == null) {
      fail(Outcome.NO_ENDPOINT, HttpResponseStatus.SERVICE_UNAVAILABLE, "no endpoint", true);
      return;
    }
    endpoint = picked;
    owner.pool().acquire(owner.clientInfo(), picked, false, this);
  }

  @Override
  public void leased(PooledConnection c) {
    if (over || owner.isClosing()) {
      owner.pool().release(c, true); // a sound connection nobody waits for any more
      return;
    }
    conn = c;
    endpoint = c.endpoint();
    owner.used(endpoint, c.reused() ? 0 : c.dialAttempts());
    c.lease(this);
    if (observed == null) {
      observed =
          owner.observe(request, endpoint); // may set headers (traceparent): before the write
    }
    Channel ch = c.channel();
    lastToEndpoint = ch.write(request);
    if (requestSent) { // a replay: the body was empty, and its end was taken already
      lastToEndpoint = ch.write(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    sendBody();
  }

  @Override
  public void failed(Outcome why, Endpoint lastTried, int attempts) {
    owner.used(lastTried, attempts);
    if (!over) {
      fail(why, HttpResponseStatus.BAD_GATEWAY, "no endpoint connection", true);
    }
  }

  /** More of the client's request was decoded. */
  void requestBodyArrived() {
    if (!over && conn != null) {
      sendBody();
    }
  }

  private void sendBody() {
    Channel ch = conn.channel();
    for (Object msg; !requestSent && (msg = owner.pollBody()) != null; ) {
      requestSent = msg instanceof LastHttpContent;
      lastToEndpoint = ch.write(msg);
    }
    ChannelFuture last = lastToEndpoint;
    lastToEndpoint = null;
    if (last == null) {
      clientEndedEarly();
      return;
    }
    ch.flush();
    clientEndedEarly();
    if (over) {
      return;
    }
    PooledConnection writingTo = conn;
    last.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            if (conn == writingTo && !over) {
              onClosed(f.cause());
            }
          } else if (conn == writingTo && !over) {
            if (!requestSent) {
              owner.readClient();
            } else if (!upgrade) {
              owner.readAhead();
            }
          }
        });
  }

  /** The client half-closed. */
  void clientEnded() {
    if (conn != null) {
      clientEndedEarly(); // else: checked once connected, when what was decoded is sent
    }
  }

  /**
   * A request still missing body when the client has ended (and all it sent is sent) will never be
   * complete.
   */
  private void clientEndedEarly() {
    if (!over && !requestSent && owner.clientEnded() && !owner.bodyPending()) {
      fail(owner.errorOutcomeNow(), null, "the client ended the request early", false);
    }
  }

  // ---- the response, from the leased connection ----

  @Override
  public void onMessage(Object msg) {
    if ((over || responseDone) && !tunnel) {
      ReferenceCountUtil.release(msg);
      if (conn != null) {
        conn.markBroken(); // bytes after the response: the framing is lost
      }
      return;
    }
    if (msg instanceof HttpResponse response) {
      int code = response.status().code();
      informational = code >= 100 && code < 200 && code != 101;
      switching = code == 101;
      if (!informational) {
        owner.safely(() -> observed.onResponse(response));
        responseKeepAlive = HttpUtil.isKeepAlive(response);
        http11 &= response.protocolVersion().equals(HttpVersion.HTTP_1_1);
        closeDelimited = HopByHop.closeDelimited(request, response);
        // Connection options are hop-by-hop on this side too: an endpoint's close ends its own
        // connection, and the client's stays unless the client asked, or only the close ends the
        // body.
        clientKeepAlive = requestKeepAlive && !closeDelimited && (responseKeepAlive || http11);
        if (!requestKeepAlive && !switching) {
          response
              .headers()
              .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // RFC 9112 9.6
        } else if (clientKeepAlive && !responseKeepAlive) {
          HopByHop.dropClose(response.headers());
        }
      }
    }
    responseStarted = true;
    owner.responding();
    lastToClient = owner.clientChannel().write(msg);
    if (!tunnel && msg instanceof LastHttpContent && !informational) {
      responseDone = true;
      if (switching) {
        becomeTunnel();
      }
    }
  }

  @Override
  public void onReadComplete() {
    ChannelFuture last = lastToClient;
    if (last == null || over && !tunnel) {
      return;
    }
    lastToClient = null;
    owner.clientChannel().flush();
    PooledConnection from = conn;
    last.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            owner.fail(f.cause());
          } else if (conn != from || owner.isClosing()) {
            return;
          } else if (responseDone && !tunnel) {
            complete();
          } else {
            from.channel().read();
          }
        });
  }

  private void complete() {
    over = true;
    owner.safely(observed::onComplete);
    PooledConnection c = conn;
    conn = null;
    // Only HTTP/1.1 on both sides is persistent by default; an HTTP/1.0 keep-alive is not pooled.
    // The client's own close was not passed on: it ends the client connection only.
    owner
        .pool()
        .release(c, responseKeepAlive && requestSent && http11 && !closeDelimited && !c.broken());
    owner.exchangeDone(this, clientKeepAlive && requestSent);
  }

  @Override
  public void onClosed(Throwable cause) {
    if (tunnel) {
      if (cause != null) {
        owner.fail(cause);
      } else {
        owner.end(Outcome.COMPLETED, false); // the endpoint's end of stream: deliver, then close
      }
      return;
    }
    if (over || responseDone) {
      return; // a close-delimited response ended, or the close follows a complete response
    }
    PooledConnection dead = conn;
    conn = null;
    dead.close();
    if (responseStarted) {
      fail(owner.errorOutcomeNow(), null, "the endpoint closed during the response", false);
    } else if (dead.reused() && replayable && !retried) {
      retried =
          true; // the server closed an idle connection as we reused it: once more, on a new one
      owner.pool().acquire(owner.clientInfo(), endpoint, true, this);
    } else {
      fail(
          owner.errorOutcomeNow(),
          HttpResponseStatus.BAD_GATEWAY,
          "the endpoint closed before responding",
          false);
    }
  }

  /**
   * Ends the exchange and the client connection: with {@code status} (and {@code Connection:
   * close}) when nothing was sent to the client in this exchange, else by closing after what is
   * queued. A connect failure or a missing endpoint before the client got any byte is a reset (the
   * lifecycle's rule for every failure before forwarding began) when {@code resetIfFirst}.
   */
  private void fail(Outcome why, HttpResponseStatus status, String reason, boolean resetIfFirst) {
    over = true;
    if (observed != null) {
      owner.safely(() -> observed.onFailed(reason));
    }
    if (conn != null) {
      conn.close();
      conn = null;
    }
    if (status == null || responseStarted) {
      owner.end(why, false);
    } else if (resetIfFirst && !owner.responded()) {
      owner.end(why, true);
    } else {
      FullHttpResponse r =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
      r.headers()
          .set(HttpHeaderNames.CONTENT_LENGTH, 0)
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      owner.responding();
      owner.clientChannel().write(r);
      owner.end(why, false);
    }
  }

  /** The client connection ended first: close what this exchange holds, and say so. */
  void abandon(String reason) {
    boolean wasOver = over;
    over = true;
    if (!wasOver && observed != null) {
      owner.safely(() -> observed.onFailed(reason));
    }
    if (conn != null) {
      conn.close();
      conn = null;
    }
  }

  // ---- after a 101 ----

  private void becomeTunnel() {
    tunnel = true;
    over = true; // as an exchange: reported with the 101, below
    switching = false;
    lastToClient.addListener(
        f ->
            owner.safely(
                () -> {
                  if (f.isSuccess()) {
                    observed.onComplete();
                  } else {
                    observed.onFailed("writing the response to the client failed");
                  }
                }));
    owner.becameTunnel(); // the client's codec first: what the endpoint's decoder held follows as
    // bytes
    Channel ch = conn.channel();
    if (ch.pipeline().get("codec") != null) {
      ch.pipeline().remove("codec");
    }
  }

  void tunnelFromClient(Object msg) {
    lastToEndpoint = conn.channel().write(msg);
  }

  void tunnelClientReadComplete() {
    ChannelFuture last = lastToEndpoint;
    lastToEndpoint = null;
    if (last == null) {
      return;
    }
    conn.channel().flush();
    last.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            owner.fail(f.cause());
          } else {
            owner.readClient();
          }
        });
  }

  /** The client's FIN, passed on once everything before it is written. */
  void tunnelClientEnded() {
    Channel ch = conn.channel();
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFuture w) -> {
              if (w.isSuccess() && ch.isActive()) {
                ((DuplexChannel) ch).shutdownOutput();
              }
            });
  }
}
