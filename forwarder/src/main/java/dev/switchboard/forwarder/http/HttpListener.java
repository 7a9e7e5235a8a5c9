package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionPreamble;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.StreamListenerBase;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * A TCP listener in HTTP/1.1 mode. Accepting works as for plain TCP (connection limit and endpoint
 * pick on the listener's loop, where the picker lives); each accepted connection is then forwarded
 * by an {@link HttpConnection}, which parses both directions so that every request passes the
 * {@link HttpExchangeObserver}, and picks an endpoint per request. Endpoint connections are kept
 * between requests in an {@link EndpointPool} per event loop, which this listener owns: it closes
 * their idle connections to endpoints that leave the set, and all of them when it stops. There is
 * no splice in this mode: bytes must be seen to be parsed.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#http()}
 * set.
 */
public final class HttpListener extends StreamListenerBase {

  private static final ChannelHandler NO_CHILD_HANDLER =
      new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {}
      };

  private final Bootstrap connectTemplate;

  /**
   * One pool per event loop that served a client, created on that loop; the map is read from any
   * loop.
   */
  private final Map<EventLoop, EndpointPool> pools = new ConcurrentHashMap<>();

  /**
   * A preamble names one client: endpoint connections then stay private to their client connection.
   */
  private final boolean privateConnections;

  public HttpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial);
    if (spec.http() == null) {
      throw new IllegalArgumentException(
          "spec.http: null (expected: http options for " + spec.describe() + ")");
    }
    this.connectTemplate =
        new Bootstrap()
            .channel(ctx.transport().socketChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, spec.options().connectTimeout().toMillis()));
    this.privateConnections = spec.options().preamble() != ConnectionPreamble.NONE;
  }

  /**
   * The pool for a client connection on {@code clientLoop} (called there): the loop's shared pool,
   * or a private one when a preamble names the client (closed by the connection when it ends).
   */
  EndpointPool poolFor(EventLoop clientLoop) {
    if (privateConnections) {
      return new EndpointPool(this, clientLoop, Math.min(1, spec.http().maxIdlePerEndpoint()));
    }
    EndpointPool pool = pools.get(clientLoop);
    if (pool == null) {
      pool =
          pools.computeIfAbsent(
              clientLoop, l -> new EndpointPool(this, l, spec.http().maxIdlePerEndpoint()));
      if (isClosed()) {
        pool.close(); // stopped before this loop's first client: keep nothing
      }
    }
    return pool;
  }

  /** True when connections are private to their client (see {@link #poolFor}). */
  boolean privateConnections() {
    return privateConnections;
  }

  /**
   * The current endpoint set (any thread): a pooled connection stays only while its endpoint is a
   * candidate.
   */
  EndpointSet candidates() {
    return targeting.endpoints();
  }

  @Override
  protected void targetChanged(EndpointSet endpoints) {
    pools.values().forEach(pool -> onLoop(pool, () -> pool.retain(endpoints)));
  }

  @Override
  protected void socketClosed() {
    pools.values().forEach(pool -> onLoop(pool, pool::close));
  }

  private static void onLoop(EndpointPool pool, Runnable task) {
    try {
      pool.loop().execute(task);
    } catch (RejectedExecutionException e) {
      // the forwarder is shutting down: its loops close every channel
    }
  }

  @Override
  protected ChannelFuture bind() {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(loop, ctx.group())
            .channel(ctx.transport().serverSocketChannel())
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .handler(acceptGate())
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, ctx.allocator())
            .childHandler(NO_CHILD_HANDLER);
    if (spec.options().reusePort()) {
      b.option(ctx.transport().reusePortOption(), true);
    }
    return b.bind(spec.bindAddress());
  }

  Bootstrap connector(EventLoop eventLoop, ChannelHandler handler) {
    return connectTemplate.clone(eventLoop).handler(handler);
  }

  @Override
  protected void admitted(
      ChannelHandlerContext gate, Channel child, ConnectionInfo info, Endpoint first) {
    new HttpConnection(this, child, info, first).install();
    gate.fireChannelRead(child); // ServerBootstrap's acceptor registers it, with the child options
  }
}
