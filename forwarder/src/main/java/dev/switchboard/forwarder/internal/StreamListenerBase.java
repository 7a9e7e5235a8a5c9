package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.pick.EndpointPicker;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the connection-oriented listeners (plain TCP, HTTP/1.1, HTTP/2) share: the accept gate that
 * counts, limits and picks on the listener's loop, the re-pick after a failed connect, and the
 * report of a finished connection. Subclasses say how an admitted connection is forwarded.
 */
public abstract class StreamListenerBase extends ListenerBase {
  private static final Logger log = LoggerFactory.getLogger(StreamListenerBase.class);

  /**
   * Accept queue length asked for; the kernel caps it at net.core.somaxconn (4096 on current
   * kernels, which is also Netty's default). Stated here because a short queue drops SYNs under
   * bursts of new connections, and each drop costs the client a 1 s retransmission.
   */
  static final int BACKLOG = Math.max(4096, NetUtil.SOMAXCONN);

  /**
   * ServerBootstrap insists on a child handler; children never reach it: the accept gate admits
   * them, and the mode registers them itself ({@link StreamSockets#register}).
   */
  private static final ChannelHandler NO_CHILD_HANDLER =
      new ChannelInboundHandlerAdapter() {
        @Override
        public boolean isSharable() {
          return true;
        }
      };

  /** Client and endpoint sockets of this listener. */
  protected final StreamSockets sockets;

  /**
   * @param halfClosure whether client and endpoint sockets pass half-closes up (TCP and HTTP/1.1
   *     do: a client may end its request with a FIN; HTTP/2 has its own end of stream)
   */
  protected StreamListenerBase(
      ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial, boolean halfClosure) {
    super(spec, ctx, initial);
    if (spec.protocol() != Protocol.TCP) {
      throw new IllegalArgumentException("spec.protocol: " + spec.protocol() + " (expected: TCP)");
    }
    this.sockets =
        new StreamSockets(
            ctx,
            halfClosure,
            (int) Math.min(Integer.MAX_VALUE, spec.options().connectTimeout().toMillis()));
  }

  /** An IPv4 address gets an AF_INET socket; accepted sockets pass the accept gate. */
  @Override
  protected final ChannelFuture bind() {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(loop, ctx.group())
            .channelFactory(() -> ctx.transport().newServerSocketChannel(spec.bindAddress()))
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.SO_BACKLOG, BACKLOG)
            .option(ChannelOption.ALLOCATOR, ctx.allocator())
            .handler(acceptGate())
            .childHandler(NO_CHILD_HANDLER);
    if (spec.options().reusePort()) {
      b.option(ctx.transport().reusePortOption(), true);
    }
    return b.bind(spec.bindAddress());
  }

  /**
   * On the listener's loop: a connection passed the limit and has {@code first} to connect to (null
   * when the listener accepts PROXY headers: the pick waits for the header, see {@link #pickFor}).
   * It is counted as active; the subclass must end it with {@link #connectionFinished}. It is not
   * registered yet: the subclass registers it ({@link StreamSockets#register}).
   */
  protected abstract void admitted(Channel child, ConnectionInfo info, Endpoint first);

  /** The server channel's first handler: every accepted socket passes it before registration. */
  protected final ChannelInboundHandlerAdapter acceptGate() {
    return new AcceptGate();
  }

  public final ListenerCounters counters() {
    return counters;
  }

  public final ForwarderContext context() {
    return ctx;
  }

  /** A failure while the forwarder shuts down is the shutdown's doing. */
  public final Outcome errorOutcome() {
    return ctx.shuttingDown() ? Outcome.CLOSED : Outcome.ERROR;
  }

  /**
   * Picks another endpoint for a connection whose connect failed; the pick runs on the listener's
   * loop (where the picker lives), the answer on {@code replyOn}. Null when none is left.
   */
  private void repick(
      InetSocketAddress client,
      Set<InetSocketAddress> tried,
      Executor replyOn,
      Consumer<Endpoint> reply) {
    try {
      loop.execute(
          () -> {
            Endpoint next = targeting.pick(client, tried);
            replyOn.execute(() -> reply.accept(next));
          });
    } catch (RejectedExecutionException e) {
      replyOn.execute(() -> reply.accept(null)); // shutting down
    }
  }

  /**
   * After a connect to {@code failed} failed: counts it, and answers on {@code replyOn} with
   * another endpoint not in {@code excluded} (a retry, counted), or null when {@code attempts} used
   * up the listener's maxConnectAttempts or no candidate is left (the caller then resets the
   * client).
   */
  public final void afterConnectFailure(
      ConnectionInfo info,
      Endpoint failed,
      int attempts,
      Throwable cause,
      Set<InetSocketAddress> excluded,
      Executor replyOn,
      Consumer<Endpoint> reply) {
    counters.connectFailures.increment();
    log.debug(
        "{}: connect {} failed (attempt {}): {}",
        info.listener(),
        failed,
        attempts,
        cause.toString());
    if (attempts >= spec.options().maxConnectAttempts()) {
      reply.accept(null);
      return;
    }
    repick(
        info.client(),
        excluded,
        replyOn,
        next -> {
          if (next != null) {
            counters.connectRetries.increment();
          }
          reply.accept(next);
        });
  }

  /**
   * A pick made away from the accept: the first for a connection admitted without one (a PROXY
   * header named its client), and each request's in the per-request modes. Answered at once, in
   * this call, when it is made on the listener's loop or the picker is stateless (no hop through
   * the listener's task queue and back); otherwise on the listener's loop (where an affinity or
   * custom picker keeps its state), with the answer on {@code replyOn}. Null when no endpoint is
   * ready (counted).
   */
  public final void pickFor(InetSocketAddress client, Executor replyOn, Consumer<Endpoint> reply) {
    Endpoint endpoint;
    EndpointPicker stateless;
    if (loop.inEventLoop()) {
      endpoint = targeting.pick(client, Set.of());
    } else if ((stateless = targeting.statelessPicker()) != null) {
      endpoint = stateless.pick(targeting.endpoints(), client, Set.of());
    } else {
      repick(client, Set.of(), replyOn, picked -> answer(picked, reply));
      return;
    }
    answer(endpoint, reply);
  }

  private void answer(Endpoint endpoint, Consumer<Endpoint> reply) {
    if (endpoint == null) {
      counters.noEndpoint.increment();
    }
    reply.accept(endpoint);
  }

  /**
   * Reports an admitted connection's end to the observer, then uncounts it (last: that may complete
   * {@code terminated()}, after which everything is reported). {@code endpoint} is the last tried,
   * or ignored when {@code attempts} is 0.
   */
  public final void connectionFinished(
      ConnectionInfo info,
      Endpoint endpoint,
      int attempts,
      Outcome outcome,
      long bytesFromClient,
      long bytesToClient,
      long startNanos) {
    ctx.closed(
        info,
        new ConnectionSummary(
            attempts == 0 ? Optional.empty() : Optional.of(endpoint),
            outcome,
            bytesFromClient,
            bytesToClient,
            attempts,
            Duration.ofNanos(System.nanoTime() - startNanos)));
    connectionEnded();
  }

  /** Closes with a reset (SO_LINGER 0): the client should see a refusal, not an end of stream. */
  public static void reset(Channel ch) {
    try {
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
    } catch (RuntimeException ignored) {
      // a plain close is still a close
    }
    ch.close();
  }

  private final class AcceptGate extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext gate, Object msg) {
      Channel child = (Channel) msg;
      counters.total.increment();
      InetSocketAddress client = (InetSocketAddress) child.remoteAddress();
      ConnectionInfo info =
          new ConnectionInfo(
              ctx.nextId(), spec.name(), Protocol.TCP, client, localAddress(), Instant.now());
      ctx.opened(info);
      int max = spec.options().maxConnections();
      if (max > 0 && counters.active.get() >= max) {
        counters.rejectedOverLimit.increment();
        reject(child, info, Outcome.REJECTED);
        return;
      }
      if (spec.options().acceptProxyHeader()) {
        counters.active.incrementAndGet();
        child.pipeline().addFirst(new ProxyHeaderReader());
        admitted(child, info, null);
        return;
      }
      Endpoint first = targeting.pick(client, Set.of());
      if (first == null) {
        counters.noEndpoint.increment();
        reject(child, info, Outcome.NO_ENDPOINT);
        return;
      }
      counters.active.incrementAndGet();
      admitted(child, info, first);
    }

    /** Resets the connection at once (SO_LINGER 0), before it is registered anywhere. */
    private void reject(Channel child, ConnectionInfo info, Outcome outcome) {
      try {
        child.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException ignored) {
        // still closed below
      }
      child.unsafe().closeForcibly();
      ctx.closed(info, new ConnectionSummary(Optional.empty(), outcome, 0, 0, 0, Duration.ZERO));
    }
  }
}
