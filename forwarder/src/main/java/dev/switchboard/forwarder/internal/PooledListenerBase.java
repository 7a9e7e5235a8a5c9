package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionPreamble;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * A stream listener whose connections pick an endpoint per request (HTTP/1.1) or per stream
 * (HTTP/2) and reach it over pooled endpoint connections: one pool per event loop that served a
 * client, owned here. The listener tells its pools when the endpoint set changes (each drops what
 * goes to endpoints that left) and when it stops (each closes everything). With a preamble (PROXY
 * protocol towards the endpoints) a connection names one client, so pools are private to their
 * client connection instead.
 *
 * @param <P> the mode's pool
 */
public abstract class PooledListenerBase<P extends PooledListenerBase.LoopPool>
    extends StreamListenerBase {

  /** What the listener needs of a mode's pool; called on the pool's loop. */
  public interface LoopPool {
    EventLoop loop();

    /** The endpoint set changed: connections to endpoints no longer in it go. */
    void retain(EndpointSet endpoints);

    /** Closes every connection; later releases close theirs too. */
    void close();
  }

  /** One pool per event loop that served a client, created on that loop; read from any loop. */
  private final Map<EventLoop, P> pools = new ConcurrentHashMap<>();

  /** A preamble names one client: endpoint connections then stay private to it. */
  private final boolean privateConnections;

  /**
   * @param halfClosure whether client and endpoint sockets pass half-closes up (HTTP/1.1 does: a
   *     client may end its request with a FIN; HTTP/2 has its own end of stream)
   */
  protected PooledListenerBase(
      ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial, boolean halfClosure) {
    super(spec, ctx, initial, halfClosure);
    this.privateConnections = spec.options().preamble() != ConnectionPreamble.NONE;
  }

  /** A new pool on {@code loop}: the loop's shared one, or a client's private one. */
  protected abstract P newPool(EventLoop loop, boolean forOneClient);

  /**
   * The pool for a client connection on {@code clientLoop} (called there): the loop's shared pool,
   * or a private one when a preamble names the client (closed by the connection when it ends).
   */
  public final P poolFor(EventLoop clientLoop) {
    if (privateConnections) {
      return newPool(clientLoop, true);
    }
    P pool = pools.get(clientLoop);
    if (pool == null) {
      pool = pools.computeIfAbsent(clientLoop, l -> newPool(l, false));
      if (isClosed()) {
        pool.close(); // stopped before this loop's first client: keep nothing
      }
    }
    return pool;
  }

  /** True when connections are private to their client (see {@link #poolFor}). */
  public final boolean privateConnections() {
    return privateConnections;
  }

  /**
   * The current endpoint set (any thread): a pooled connection stays only while its endpoint is a
   * candidate.
   */
  public final EndpointSet candidates() {
    return targeting.endpoints();
  }

  /**
   * A connection to an endpoint on {@code eventLoop}, AUTO_READ off, its pipeline built by {@code
   * pipeline} before it is registered. {@code readAtOnce} only when that pipeline can take the
   * endpoint's first bytes as soon as the connect completes.
   */
  public final ChannelFuture connect(
      EventLoop eventLoop,
      InetSocketAddress address,
      Consumer<ChannelPipeline> pipeline,
      boolean readAtOnce) {
    Channel ch = sockets.newEndpointChannel(address, readAtOnce);
    pipeline.accept(ch.pipeline());
    return StreamSockets.connect(eventLoop, ch, address);
  }

  /** The mode's handlers are on {@code child}: registers it, to be read at once. */
  protected final void serve(Channel child) {
    sockets.register(child, true);
  }

  @Override
  protected final void targetChanged(EndpointSet endpoints) {
    pools.values().forEach(pool -> onLoop(pool, () -> pool.retain(endpoints)));
  }

  @Override
  protected final void socketClosed() {
    pools.values().forEach(pool -> onLoop(pool, pool::close));
  }

  private static void onLoop(LoopPool pool, Runnable task) {
    try {
      pool.loop().execute(task);
    } catch (RejectedExecutionException e) {
      // the forwarder is shutting down: its loops close every channel
    }
  }
}
