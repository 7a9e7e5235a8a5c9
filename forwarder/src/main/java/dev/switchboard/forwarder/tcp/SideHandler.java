package dev.switchboard.forwarder.tcp;

import dev.switchboard.forwarder.internal.ProxyHeaderReader;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler on each side of a forwarded connection: turns channel events into calls on its
 * {@link TcpConnection}, naming the side. One instance per channel.
 */
final class SideHandler extends ChannelInboundHandlerAdapter {
  private final TcpConnection connection;
  private final boolean client;

  SideHandler(TcpConnection connection, boolean client) {
    this.connection = connection;
    this.client = client;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (client) {
      connection.clientActive();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf) {
      connection.read(client, ctx.channel(), (ByteBuf) msg);
    } else if (msg instanceof ProxyHeaderReader.Client who && client) {
      connection.clientIdentified(who);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      connection.inputShutdown(client, ctx.channel());
    } else {
      ReferenceCountUtil.release(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connection.inactive(client, ctx.channel());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.exception(client, ctx.channel(), cause);
  }
}
