package dev.switchboard.forwarder.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.concurrent.PromiseNotifier;
import java.net.InetSocketAddress;

/**
 * Builds and registers a stream listener's sockets by hand, client and endpoint side alike, rather
 * than through {@code ServerBootstrap}'s acceptor or a cloned {@code Bootstrap}: per connection
 * that saves the option maps (and the system call each option set after registration costs), a
 * resolver lookup under a lock and an event-loop task before the connect. Every socket is of its
 * address's own family (no dual-stack sockets and IPv4-mapped addresses for IPv4), is configured
 * before it is registered (AUTO_READ off, half-closure as the mode wants, the forwarder's
 * allocator, the {@link EpollWorkaround} for half-closed sockets), and, when the mode reads at
 * once, asks epoll for input in its first epoll_ctl. TCP_NODELAY is on by default in Netty's socket
 * channels.
 */
public final class StreamSockets {
  private final ForwarderContext ctx;
  private final boolean halfClosure;
  private final int connectTimeoutMillis;

  StreamSockets(ForwarderContext ctx, boolean halfClosure, int connectTimeoutMillis) {
    this.ctx = ctx;
    this.halfClosure = halfClosure;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /**
   * Registers an accepted client socket on the next loop of the group. {@code readAtOnce}: the mode
   * reads as soon as the socket is active, so EPOLLIN goes into the first epoll_ctl instead of a
   * second one (Netty then reads once when data arrives, and goes back to reading on request).
   */
  public void register(Channel child, boolean readAtOnce) {
    try {
      configure(child, readAtOnce);
      ctx.group()
          .next()
          .register(child)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  child.unsafe().closeForcibly(); // the close future reports it
                }
              });
    } catch (RuntimeException e) {
      child.unsafe().closeForcibly();
    }
  }

  /** A new endpoint socket, configured like the clients' and not yet registered. */
  public Channel newEndpointChannel(InetSocketAddress remote, boolean readAtOnce) {
    Channel ch = ctx.transport().newSocketChannel(remote);
    configure(ch, readAtOnce);
    ch.config().setConnectTimeoutMillis(connectTimeoutMillis);
    return ch;
  }

  /**
   * Registers {@code ch} on {@code loop} and connects it to {@code address}. On the caller's own
   * loop registration completes at once, and the connect starts in the same call.
   */
  public static ChannelFuture connect(EventLoop loop, Channel ch, InetSocketAddress address) {
    ChannelFuture registered = loop.register(ch);
    if (registered.isDone()) {
      return connectRegistered(registered, address);
    }
    ChannelPromise connected = ch.newPromise();
    registered.addListener(
        (ChannelFuture f) -> PromiseNotifier.cascade(connectRegistered(f, address), connected));
    return connected;
  }

  private static ChannelFuture connectRegistered(
      ChannelFuture registration, InetSocketAddress address) {
    if (!registration.isSuccess()) {
      registration.channel().unsafe().closeForcibly();
      return registration;
    }
    return registration.channel().connect(address);
  }

  /** Before registration, so that no option costs a system call. */
  private void configure(Channel ch, boolean readAtOnce) {
    ChannelConfig config = ch.config();
    config.setAutoRead(false);
    config.setAllocator(ctx.allocator());
    ((SocketChannelConfig) config).setAllowHalfClosure(halfClosure);
    EpollWorkaround.keepRegistered(ch);
    if (readAtOnce) {
      EpollWorkaround.watchInputFromStart(ch);
    }
  }
}
