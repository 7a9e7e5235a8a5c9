package dev.switchboard.forwarder.tcp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.StreamListenerBase;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * A TCP listener. Its server socket lives on the listener's own event loop, where each accepted
 * connection passes the accept gate (connection limit, endpoint pick) before it is handed to some
 * loop of the group, where a {@link TcpConnection} forwards it.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener}.
 */
public final class TcpListener extends StreamListenerBase {

  public TcpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial, true);
  }

  /** A new endpoint socket, not yet registered; copy mode reads it as soon as it is connected. */
  Channel newEndpointChannel(InetSocketAddress remote) {
    return sockets.newEndpointChannel(remote, !spliceEnabled());
  }

  boolean spliceEnabled() {
    return spec.options().splice() && ctx.transport().supportsSplice();
  }

  @Override
  protected void admitted(Channel child, ConnectionInfo info, Endpoint first) {
    TcpConnection connection = new TcpConnection(this, child, info, first);
    child.pipeline().addLast(connection.clientHandler());
    // Copy mode reads the client as soon as it is active (TcpConnection.clientActive); splice
    // mode wants a pristine socket.
    sockets.register(child, !spliceEnabled());
  }
}
