package dev.switchboard.forwarder.internal;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerBindException;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ListenerStats;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * What TCP and UDP listeners share: binding with a clear error, target updates, counters and the
 * close/terminated lifecycle.
 *
 * <p>Concurrency: each listener owns one event loop, {@link #loop}. Its socket is registered there,
 * and its {@link #targeting} (endpoint set, picker, affinity table) is only touched there; updates
 * from other threads are handed to the loop. Fields read from other threads are volatile, counters
 * are adders.
 */
public abstract class ListenerBase implements Listener {

  protected final ListenerSpec spec;
  protected final ForwarderContext ctx;

  /** The listener's own event loop. */
  protected final EventLoop loop;

  protected final ListenerCounters counters = new ListenerCounters();

  /** Confined to {@link #loop} once started. */
  protected final Targeting targeting;

  private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private volatile ServiceTarget target;
  private volatile Channel channel;
  private volatile InetSocketAddress localAddress;

  /** Set on {@link #loop} once the socket is closed: no accept or flow can start after it. */
  private volatile boolean closed;

  private volatile boolean closeRequested;

  protected ListenerBase(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    this.spec = Checks.notNull(spec, "spec");
    this.ctx = Checks.notNull(ctx, "ctx");
    this.loop = ctx.group().next();
    this.targeting = new Targeting(spec.options().picker());
    // Before the loop knows this listener: registration publishes it.
    targeting.apply(Checks.notNull(initial, "target"), new EndpointSet(initial.endpoints()));
    this.target = initial;
    this.localAddress = spec.bindAddress();
  }

  /** Creates and binds the socket on {@link #loop}. */
  protected abstract ChannelFuture bind();

  /** On {@link #loop}, after a new target was applied. */
  protected void targetChanged(EndpointSet endpoints) {}

  /** On {@link #loop}, after the socket closed. */
  protected void socketClosed() {}

  /**
   * Binds; fails with {@link ListenerBindException} naming the address when the socket cannot be
   * bound.
   */
  public final CompletableFuture<Listener> start() {
    CompletableFuture<Listener> started = new CompletableFuture<>();
    ChannelFuture bound;
    try {
      bound = bind();
    } catch (RuntimeException e) {
      bindFailed(started, e);
      return started;
    }
    bound.addListener(
        f -> {
          if (!f.isSuccess()) {
            bindFailed(started, f.cause());
            return;
          }
          Channel ch = bound.channel();
          localAddress = (InetSocketAddress) ch.localAddress();
          channel = ch;
          ch.closeFuture().addListener(cf -> onSocketClosed());
          started.complete(this);
          if (closeRequested) {
            ch.close();
          }
        });
    return started;
  }

  private void bindFailed(CompletableFuture<Listener> started, Throwable cause) {
    closed = true;
    closeFuture.complete(null);
    terminated.complete(null);
    started.completeExceptionally(new ListenerBindException(spec, cause));
  }

  private void onSocketClosed() {
    closed = true;
    socketClosed();
    closeFuture.complete(null);
    maybeTerminated();
  }

  @Override
  public final ListenerSpec spec() {
    return spec;
  }

  @Override
  public final InetSocketAddress localAddress() {
    return localAddress;
  }

  @Override
  public final ServiceTarget target() {
    return target;
  }

  @Override
  public final ListenerStats stats() {
    return counters.snapshot();
  }

  @Override
  public final CompletableFuture<Void> update(ServiceTarget newTarget) {
    Checks.notNull(newTarget, "target");
    EndpointSet set = new EndpointSet(newTarget.endpoints()); // the sorting work stays off the loop
    CompletableFuture<Void> applied = new CompletableFuture<>();
    try {
      loop.execute(
          () -> {
            try {
              targeting.apply(newTarget, set);
              target = newTarget;
              targetChanged(set);
              applied.complete(null);
            } catch (RuntimeException e) {
              applied.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      applied.completeExceptionally(
          new IllegalStateException("listener " + spec.describe() + ": forwarder is shut down", e));
    }
    return applied;
  }

  @Override
  public final CompletableFuture<Void> close() {
    closeRequested = true;
    Channel ch = channel;
    if (ch != null) {
      ch.close();
    }
    return closeFuture;
  }

  /** Completes when the socket is closed, without asking for it (unlike {@link #close()}). */
  public final CompletableFuture<Void> closeFuture() {
    return closeFuture;
  }

  @Override
  public final CompletableFuture<Void> terminated() {
    return terminated;
  }

  /** True once the socket is closed. */
  protected final boolean isClosed() {
    return closed;
  }

  /** The bound socket, or null before it is bound. */
  protected final Channel channel() {
    return channel;
  }

  /** A connection or flow that was counted in {@code counters.active} has ended. Any thread. */
  protected final void connectionEnded() {
    if (counters.active.decrementAndGet() == 0 && closed) {
      maybeTerminated();
    }
  }

  private void maybeTerminated() {
    if (closed && counters.active.get() == 0) {
      terminated.complete(null);
    }
  }

  @Override
  public String toString() {
    return spec.describe();
  }
}
