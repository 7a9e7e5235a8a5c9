package dev.switchboard.forwarder.h2;

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
 * A TCP listener in HTTP/2 mode (h2c with prior knowledge: gRPC's cleartext transport). Accepting
 * works as for plain TCP (connection limit, and the first pick on the listener's loop, where the
 * picker lives); each accepted connection is then served by an {@link H2Connection}, which
 * terminates HTTP/2 and relays each stream as an {@link H2Call} to an endpoint picked for that
 * stream. Endpoint connections are HTTP/2 too, multiplexed, in an {@link H2Pool} per event loop
 * that this listener owns: it drains (GOAWAY) connections to endpoints that leave the set, and
 * closes them all when it stops.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#h2()}
 * set.
 */
public final class H2Listener extends StreamListenerBase {

  private static final ChannelHandler NO_HANDLER =
      new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {}
      };

  private final Bootstrap connectTemplate;

  /** One pool per event loop that served a client, created on that loop; read from any loop. */
  private final Map<EventLoop, H2Pool> pools = new ConcurrentHashMap<>();

  /** A preamble names one client: endpoint connections then stay private to it. */
  private final boolean privateConnections;

  public H2Listener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial);
    if (spec.h2() == null) {
      throw new IllegalArgumentException(
          "spec.h2: null (expected: h2 options for " + spec.describe() + ")");
    }
    // AUTO_READ off until the HTTP/2 handlers are in (after the preamble, if any: see H2Pool).
    this.connectTemplate =
        new Bootstrap()
            .channel(ctx.transport().socketChannel())
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, spec.options().connectTimeout().toMillis()))
            .handler(NO_HANDLER);
    this.privateConnections = spec.options().preamble() != ConnectionPreamble.NONE;
  }

  /**
   * The pool for a client connection on {@code clientLoop} (called there): the loop's shared pool,
   * or a private one when a preamble names the client (closed by the connection when it ends).
   */
  H2Pool poolFor(EventLoop clientLoop) {
    if (privateConnections) {
      return new H2Pool(this, clientLoop);
    }
    H2Pool pool = pools.get(clientLoop);
    if (pool == null) {
      pool = pools.computeIfAbsent(clientLoop, l -> new H2Pool(this, l));
      if (isClosed()) {
        pool.close(); // stopped before this loop's first client: keep nothing
      }
    }
    return pool;
  }

  boolean privateConnections() {
    return privateConnections;
  }

  /** The current endpoint set (any thread). */
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

  private static void onLoop(H2Pool pool, Runnable task) {
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
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, ctx.allocator())
            .childHandler(NO_HANDLER);
    if (spec.options().reusePort()) {
      b.option(ctx.transport().reusePortOption(), true);
    }
    return b.bind(spec.bindAddress());
  }

  /** A socket to an endpoint on {@code eventLoop}, with an empty pipeline and AUTO_READ off. */
  Bootstrap connector(EventLoop eventLoop) {
    return connectTemplate.clone(eventLoop);
  }

  @Override
  protected void admitted(
      ChannelHandlerContext gate, Channel child, ConnectionInfo info, Endpoint first) {
    new H2Connection(this, child, info, first).install();
    gate.fireChannelRead(child); // ServerBootstrap's acceptor registers it, with the child options
  }
}
