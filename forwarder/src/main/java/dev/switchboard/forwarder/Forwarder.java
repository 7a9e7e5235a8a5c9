package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.h2.H2Listener;
import dev.switchboard.forwarder.http.HttpListener;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.ListenerBase;
import dev.switchboard.forwarder.tcp.TcpListener;
import dev.switchboard.forwarder.udp.UdpListener;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding engine: owns the event loops and the listeners on them.
 *
 * <pre>{@code
 * try (Forwarder fwd = Forwarder.create()) {
 *     Listener l = fwd.addListener(ListenerSpec.tcp("default/web:http", new InetSocketAddress("127.96.0.10", 80)),
 *             ServiceTarget.of(Endpoint.ready(new InetSocketAddress("127.0.10.1", 8080)))).get();
 *     l.update(ServiceTarget.of(...));   // connections in flight keep going
 *     l.close();                         // stop accepting; open connections finish
 * }
 * }</pre>
 *
 * <p>Threading: a fixed group of event loop threads serves every listener and connection. Each
 * listener's state lives on one loop, each connection's on one loop (both of its sockets there), so
 * the engine has no locks; the methods here are thread-safe and never block, except {@link
 * #close()}.
 */
public final class Forwarder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

  private final Transport transport;
  private final EventLoopGroup group;
  private final ForwarderContext ctx;

  /** Listeners not yet closed; from any thread. */
  private final Set<ListenerBase> listeners = ConcurrentHashMap.newKeySet();

  private volatile boolean closed;

  private Forwarder(ForwarderOptions options) {
    this.transport = Transport.select(options.transport());
    this.group =
        transport.newEventLoopGroup(
            options.ioThreads(), new DefaultThreadFactory("switchboard-fwd", true));
    this.ctx = new ForwarderContext(transport, group, options.allocator(), options.observer());
    log.info(
        "forwarder started: transport {}, {} event loop threads", transport, options.ioThreads());
  }

  public static Forwarder create() {
    return create(ForwarderOptions.defaults());
  }

  public static Forwarder create(ForwarderOptions options) {
    return new Forwarder(Checks.notNull(options, "options"));
  }

  public Transport transport() {
    return transport;
  }

  /**
   * Binds a listener and starts forwarding to {@code target}. The future fails with a {@link
   * ListenerBindException} naming the address when it cannot bind (port taken, address not local);
   * other listeners are unaffected.
   */
  public CompletableFuture<Listener> addListener(ListenerSpec spec, ServiceTarget target) {
    Checks.notNull(spec, "spec");
    Checks.notNull(target, "target");
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("forwarder is closed"));
    }
    ListenerBase listener =
        spec.protocol() == Protocol.UDP
            ? new UdpListener(spec, ctx, target)
            : spec.http() != null
                ? new HttpListener(spec, ctx, target)
                : spec.h2() != null
                    ? new H2Listener(spec, ctx, target)
                    : new TcpListener(spec, ctx, target);
    listeners.add(listener);
    listener.closeFuture().whenComplete((v, e) -> listeners.remove(listener));
    return listener.start();
  }

  /** The listeners bound and not closed. */
  public List<Listener> listeners() {
    return List.copyOf(listeners);
  }

  /**
   * Closes every listener and connection and stops the event loops; waits up to 10 s for them. Open
   * connections are cut (their observers see {@link Outcome#CLOSED}): to let them finish, close the
   * listeners first and wait for {@link Listener#terminated()}.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ctx.shutDown();
    for (ListenerBase l : listeners) {
      l.close();
    }
    if (!group
        .shutdownGracefully(0, 2, TimeUnit.SECONDS)
        .awaitUninterruptibly(10, TimeUnit.SECONDS)) {
      log.warn("forwarder event loops did not stop within 10 s");
    }
  }
}
