package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.EndpointDialer;
import dev.switchboard.forwarder.internal.PooledListenerBase;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * HTTP/2 connections to endpoints, shared by the calls of every client connection on one event loop
 * of one listener (the shape of the HTTP/1.1 mode's {@code EndpointPool}: per listener, per loop,
 * per endpoint address). A call for an endpoint takes a stream on a connection to it that has room,
 * else on one still connecting, else on a new one, up to {@link
 * H2Options#maxConnectionsPerEndpoint()}; then it is refused. New connections come from an {@link
 * EndpointDialer}: a refused connect is retried on another endpoint the listener picks, before any
 * byte of any call was sent; the calls waiting for it follow it there.
 *
 * <p>Connections to an endpoint that leaves the set drain (GOAWAY; open streams finish); so do
 * connections idle for {@link H2Options#poolIdleTimeout()}, and all of them when the listener
 * stops.
 *
 * <p>Confined to {@link #loop}: the event loop of its client connections and endpoint channels.
 */
final class H2Pool implements PooledListenerBase.LoopPool {

  private final H2Listener listener;
  private final EventLoop loop;
  private final H2Options options;

  /** Connections that take new streams (or are connecting), per endpoint address. */
  private final Map<InetSocketAddress, List<H2Upstream>> open = new HashMap<>();

  /**
   * SETTINGS_MAX_CONCURRENT_STREAMS each endpoint last announced: a connection still connecting
   * takes no more waiting calls than that (a fresh connection's own limit is unknown until then).
   */
  private final Map<InetSocketAddress, Long> limits = new HashMap<>();

  /** The listener stopped (or the private pool's client closed). */
  private boolean closed;

  /** Connections (client or endpoint side) written to during this turn of the loop, once each. */
  private final List<H2Side> toFlush = new ArrayList<>();

  private boolean flushScheduled;

  H2Pool(H2Listener listener, EventLoop loop) {
    this.listener = listener;
    this.loop = loop;
    this.options = listener.spec().h2();
  }

  @Override
  public EventLoop loop() {
    return loop;
  }

  /**
   * A stream's place on a connection to {@code endpoint} for one call of {@code client}'s: answered
   * on this loop, at once when a connection has room; {@link Outcome#REJECTED} when every allowed
   * connection is full.
   */
  void acquire(ConnectionInfo client, Endpoint endpoint, H2Upstream.Waiter waiter) {
    if (closed) {
      waiter.failed(Outcome.CLOSED, null, 0);
      return;
    }
    List<H2Upstream> list = open.computeIfAbsent(endpoint.socketAddress(), a -> new ArrayList<>(2));
    H2Upstream connecting = null;
    for (H2Upstream u : list) {
      if (u.connecting()) {
        connecting = u;
      } else if (u.hasRoom()) {
        u.reserve();
        waiter.leased(u);
        return;
      }
    }
    if (connecting != null && connecting.streams() < limit(endpoint)) {
      connecting.addWaiter(waiter);
      return;
    }
    if (list.size() >= options.maxConnectionsPerEndpoint()) {
      waiter.failed(Outcome.REJECTED, endpoint, 0);
      return;
    }
    H2Upstream u = new H2Upstream(this, options);
    u.addWaiter(waiter);
    list.add(u);
    dial(client, endpoint, u);
  }

  private void dial(ConnectionInfo client, Endpoint endpoint, H2Upstream u) {
    EndpointDialer[] dialer = {null};
    dialer[0] =
        new EndpointDialer(
            listener,
            loop,
            this::connect,
            new EndpointDialer.Result() {
              @Override
              public void ready(Channel ch) {
                Endpoint at = dialer[0].endpoint();
                if (!at.socketAddress().equals(endpoint.socketAddress())) {
                  forget(u); // a retry reached another endpoint: file it there
                  open.computeIfAbsent(at.socketAddress(), a -> new ArrayList<>(2)).add(u);
                }
                u.connected(ch, at, dialer[0].attempts());
                if (closed) {
                  u.drain();
                }
              }

              @Override
              public void failed(Outcome why) {
                u.connectFailed(why, dialer[0].endpoint(), dialer[0].attempts());
              }
            });
    dialer[0].dial(client, endpoint);
  }

  private ChannelFuture connect(InetSocketAddress address) {
    // The codec comes once connected (and after any preamble): nothing reads before that.
    return listener.connect(loop, address, p -> {}, false);
  }

  /**
   * Flushes {@code side}'s connection once, after the loop's current turn: every call relayed in
   * that turn (from every frame read in it) leaves in one write per connection, not one per frame.
   * The writes' promises, on which relayed bytes go back to their senders' windows, complete with
   * that flush.
   */
  void flushSoon(H2Side side) {
    toFlush.add(side);
    if (!flushScheduled) {
      flushScheduled = true;
      loop.execute(this::flushAll);
    }
  }

  private void flushAll() {
    flushScheduled = false;
    // Flushing completes writes whose listeners return window (and may ask for another flush, in
    // a task of its own): take this turn's list first.
    H2Side[] now = toFlush.toArray(new H2Side[0]);
    toFlush.clear();
    for (H2Side side : now) {
      side.flushQueued = false;
      side.ctx.flush();
    }
  }

  /** Streams one connection to {@code endpoint} may carry, as far as is known. */
  int limit(Endpoint endpoint) {
    Long known = endpoint == null ? null : limits.get(endpoint.socketAddress());
    int cap = options.maxStreamsPerConnection();
    return known == null ? cap : (int) Math.min(cap, Math.max(1, known));
  }

  void learnedLimit(Endpoint endpoint, long maxConcurrentStreams) {
    limits.put(endpoint.socketAddress(), maxConcurrentStreams);
  }

  /** {@code u} takes no new streams any more (draining, closed or failed). */
  void forget(H2Upstream u) {
    for (Iterator<List<H2Upstream>> it = open.values().iterator(); it.hasNext(); ) {
      List<H2Upstream> list = it.next();
      if (list.remove(u) && list.isEmpty()) {
        it.remove();
        return;
      }
    }
  }

  /** The listener's endpoints changed: connections to endpoints no longer candidates drain. */
  @Override
  public void retain(EndpointSet endpoints) {
    List<H2Upstream> leaving = new ArrayList<>();
    for (Map.Entry<InetSocketAddress, List<H2Upstream>> e : open.entrySet()) {
      if (endpoints.candidate(e.getKey()) == null) {
        e.getValue().stream().filter(u -> !u.connecting()).forEach(leaving::add);
      }
    }
    limits.keySet().removeIf(a -> endpoints.candidate(a) == null);
    leaving.forEach(H2Upstream::drain);
  }

  /** Drains every connection; none is opened any more. */
  @Override
  public void close() {
    closed = true;
    List<H2Upstream> all = new ArrayList<>();
    open.values().forEach(all::addAll);
    all.stream().filter(u -> !u.connecting()).forEach(H2Upstream::drain);
  }

  /** Connections taking new streams to {@code address} (tests and diagnostics; on the loop). */
  int connections(InetSocketAddress address) {
    List<H2Upstream> list = open.get(address);
    return list == null ? 0 : list.size();
  }
}
