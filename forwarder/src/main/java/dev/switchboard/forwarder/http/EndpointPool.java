package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.EndpointDialer;
import dev.switchboard.forwarder.internal.PooledListenerBase;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Idle HTTP/1.1 endpoint connections kept for the next request, as HAProxy's {@code http-reuse} and
 * Envoy's HTTP/1 connection pool keep them: per listener, per event loop and per endpoint address,
 * at most {@link HttpOptions#maxIdlePerEndpoint()} each, closed after {@link
 * HttpOptions#poolIdleTimeout()} idle, when their endpoint stops being a candidate, when the
 * endpoint closes them, and when the listener stops. A connection is in the pool only while idle; a
 * leased one belongs to its exchange. Idle connections are taken newest first (warm, and the oldest
 * expire), with one timer per pool.
 *
 * <p>A listener that sends a per-connection preamble (a PROXY header naming the client) gives each
 * client connection a private pool instead (HAProxy's "private" connections): its endpoint
 * connections carry one client's header and must never serve another client.
 *
 * <p>Confined to {@link #loop}: the event loop of every client connection that uses it and of every
 * endpoint channel in it (no locks, as Netty's proxy example shares a loop between both sides).
 */
final class EndpointPool implements PooledListenerBase.LoopPool {

  /** The answer to {@link #acquire}, on the pool's loop: exactly one call. */
  interface Waiter {
    void leased(PooledConnection connection);

    /**
     * No connection: CONNECT_FAILED, or ERROR/CLOSED when the preamble failed. Nothing was sent.
     * {@code lastTried} is null when nothing was tried.
     */
    void failed(Outcome why, Endpoint lastTried, int attempts);
  }

  private final HttpListener listener;
  private final EventLoop loop;
  private final int maxIdlePerEndpoint;
  private final long idleTimeoutNanos;
  private final int maxHeaderBytes;

  /** Idle connections per endpoint address, newest first. */
  private final Map<InetSocketAddress, ArrayDeque<PooledConnection>> idle = new HashMap<>();

  private ScheduledFuture<?> expiry;

  /** The listener stopped (or the private pool's client closed): nothing is kept any more. */
  private boolean closed;

  EndpointPool(HttpListener listener, EventLoop loop, int maxIdlePerEndpoint) {
    HttpOptions http = listener.spec().http();
    this.listener = listener;
    this.loop = loop;
    this.maxIdlePerEndpoint = maxIdlePerEndpoint;
    this.idleTimeoutNanos = http.poolIdleTimeout().toNanos();
    this.maxHeaderBytes = http.maxHeaderBytes();
  }

  @Override
  public EventLoop loop() {
    return loop;
  }

  /**
   * A connection to {@code endpoint} for one exchange of {@code client}'s: an idle one, unless
   * {@code fresh} or none is left, else a new one (a refused connect is retried on another endpoint
   * the listener picks, before any byte of the exchange is sent: {@link EndpointDialer}).
   */
  void acquire(ConnectionInfo client, Endpoint endpoint, boolean fresh, Waiter waiter) {
    if (!fresh) {
      ArrayDeque<PooledConnection> q = idle.get(endpoint.socketAddress());
      if (q != null) {
        for (PooledConnection c; (c = q.pollFirst()) != null; ) {
          if (c.usable()) {
            waiter.leased(c);
            return;
          }
          c.close();
        }
      }
    }
    EndpointDialer[] dialer = {null};
    dialer[0] =
        new EndpointDialer(
            listener,
            loop,
            this::open,
            new EndpointDialer.Result() {
              @Override
              public void ready(Channel ch) {
                PooledConnection c = ch.pipeline().get(PooledConnection.class);
                c.connected(ch, dialer[0].endpoint(), dialer[0].attempts());
                waiter.leased(c);
              }

              @Override
              public void failed(Outcome why) {
                waiter.failed(why, dialer[0].endpoint(), dialer[0].attempts());
              }
            });
    dialer[0].dial(client, endpoint);
  }

  private ChannelFuture open(InetSocketAddress address) {
    // Not read at once: the first read is the lease's (PooledConnection.lease), so bytes an
    // endpoint sends before any request (while a preamble is still being written) are not taken
    // before the connection is known to the pool. Connects are rare here: connections are pooled.
    return listener.connect(
        loop,
        address,
        p ->
            p.addLast("codec", new HttpClientCodec(maxHeaderBytes, maxHeaderBytes, 64 * 1024))
                .addLast("pooled", new PooledConnection(this)),
        false);
  }

  /**
   * An exchange is done with {@code c}: kept idle when {@code reusable} (the exchange ended cleanly
   * and both sides allow keep-alive), the connection is sound, its endpoint still a candidate and
   * there is room; closed otherwise.
   */
  void release(PooledConnection c, boolean reusable) {
    c.unlease();
    InetSocketAddress address = c.endpoint().socketAddress();
    if (!reusable
        || closed
        || !c.usable()
        || maxIdlePerEndpoint == 0
        || listener.candidates().candidate(address) == null) {
      c.close();
      return;
    }
    ArrayDeque<PooledConnection> q = idle.computeIfAbsent(address, a -> new ArrayDeque<>(4));
    if (q.size() >= maxIdlePerEndpoint) {
      c.close();
      return;
    }
    c.idleSinceNanos = System.nanoTime();
    q.addFirst(c);
    c.channel().read(); // so that an endpoint closing it is seen while it is idle
    if (expiry == null) {
      expiry = loop.schedule(this::expire, idleTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** An idle connection was closed or reset by its endpoint (or sent bytes unasked): dropped. */
  void idleConnectionLost(PooledConnection c) {
    ArrayDeque<PooledConnection> q = idle.get(c.endpoint().socketAddress());
    if (q != null && q.remove(c) && q.isEmpty()) {
      idle.remove(c.endpoint().socketAddress());
    }
    c.close();
  }

  /**
   * The listener's endpoints changed: idle connections to endpoints that are no candidate any more
   * close.
   */
  @Override
  public void retain(EndpointSet endpoints) {
    for (Iterator<Map.Entry<InetSocketAddress, ArrayDeque<PooledConnection>>> it =
            idle.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<InetSocketAddress, ArrayDeque<PooledConnection>> e = it.next();
      if (endpoints.candidate(e.getKey()) == null) {
        e.getValue().forEach(PooledConnection::close);
        it.remove();
      }
    }
  }

  /** Closes every idle connection; connections released later are closed too. */
  @Override
  public void close() {
    closed = true;
    idle.values().forEach(q -> q.forEach(PooledConnection::close));
    idle.clear();
    if (expiry != null) {
      expiry.cancel(false);
      expiry = null;
    }
  }

  /** Idle connections to {@code address} (tests and diagnostics; on the loop). */
  int idleCount(InetSocketAddress address) {
    ArrayDeque<PooledConnection> q = idle.get(address);
    return q == null ? 0 : q.size();
  }

  /**
   * Closes what has been idle for the timeout (oldest last in each queue), then looks again at the
   * next due.
   */
  private void expire() {
    expiry = null;
    long now = System.nanoTime();
    long nextDue = Long.MAX_VALUE;
    for (Iterator<ArrayDeque<PooledConnection>> it = idle.values().iterator(); it.hasNext(); ) {
      ArrayDeque<PooledConnection> q = it.next();
      for (PooledConnection c;
          (c = q.peekLast()) != null && now - c.idleSinceNanos >= idleTimeoutNanos; ) {
        q.pollLast();
        c.close();
      }
      if (q.isEmpty()) {
        it.remove();
      } else {
        nextDue = Math.min(nextDue, q.peekLast().idleSinceNanos + idleTimeoutNanos - now);
      }
    }
    if (nextDue != Long.MAX_VALUE && !closed) {
      expiry =
          loop.schedule(
              this::expire,
              Math.max(nextDue, TimeUnit.MILLISECONDS.toNanos(1)),
              TimeUnit.NANOSECONDS);
    }
  }
}
