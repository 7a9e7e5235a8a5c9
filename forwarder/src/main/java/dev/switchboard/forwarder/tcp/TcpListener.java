package dev.switchboard.forwarder.tcp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.StreamListenerBase;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;

/**
 * A TCP listener. Its server socket lives on the listener's own event loop, where each accepted
 * connection passes the accept gate (connection limit, endpoint pick) before it is handed to some
 * loop of the group, where a {@link TcpConnection} forwards it.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener}.
 */
public final class TcpListener extends StreamListenerBase {

  /**
   * Accept queue length asked for; the kernel caps it at net.core.somaxconn (4096 on current
   * kernels, which is also Netty's default). Stated here because a short queue drops SYNs under
   * bursts of new connections, and each drop costs the client a 1 s retransmission.
   */
  static final int BACKLOG = Math.max(4096, NetUtil.SOMAXCONN);

  /**
   * ServerBootstrap insists on a child handler; children never reach it (see {@link #admitted}).
   */
  private static final ChannelHandler NO_CHILD_HANDLER =
      new ChannelInboundHandlerAdapter() {
        @Override
        public boolean isSharable() {
          return true;
        }
      };

  private final int connectTimeoutMillis;

  public TcpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial);
    this.connectTimeoutMillis =
        (int) Math.min(Integer.MAX_VALUE, spec.options().connectTimeout().toMillis());
  }

  @Override
  protected ChannelFuture bind() {
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
   * A new endpoint socket, configured like the client's and not yet registered. Built by hand
   * rather than by a cloned {@code Bootstrap}: per connection that saves copying option maps, a
   * resolver lookup under a lock and an extra event loop task before the connect. TCP_NODELAY is on
   * by default in Netty's socket channels.
   */
  Channel newEndpointChannel(InetSocketAddress remote) {
    Channel ch = ctx.transport().newSocketChannel(remote);
    configure(ch);
    if (!spliceEnabled()) {
      // Copy mode reads the endpoint as soon as it is connected: EPOLLIN in the first epoll_ctl.
      EpollWorkaround.watchInputFromStart(ch);
    }
    ch.config().setConnectTimeoutMillis(connectTimeoutMillis);
    return ch;
  }

  /**
   * AUTO_READ off, half-closure on, our allocator; before registration, so no system call is made.
   */
  private void configure(Channel ch) {
    ChannelConfig config = ch.config();
    config.setAutoRead(false);
    config.setAllocator(ctx.allocator());
    ((SocketChannelConfig) config).setAllowHalfClosure(true);
    EpollWorkaround.keepRegistered(ch);
  }

  boolean spliceEnabled() {
    return spec.options().splice() && ctx.transport().supportsSplice();
  }

  /**
   * What ServerBootstrap's acceptor would do, without its per-child initializer and option maps.
   */
  @Override
  protected void admitted(
      ChannelHandlerContext gate, Channel child, ConnectionInfo info, Endpoint first) {
    TcpConnection connection = new TcpConnection(this, child, info, first);
    try {
      configure(child);
      if (!spliceEnabled()) {
        EpollWorkaround.watchInputFromStart(child); // see TcpConnection.clientActive
      }
      child.pipeline().addLast(connection.clientHandler());
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
}
