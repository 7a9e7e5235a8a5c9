package dev.switchboard.forwarder.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.function.LongConsumer;

/**
 * Counts the raw bytes of a socket both ways, below the HTTP codec: what really went over the wire,
 * not the decoded messages. On the channel's event loop.
 */
public final class ByteCounter extends ChannelDuplexHandler {
  private final LongConsumer read;
  private final LongConsumer written;

  public ByteCounter(LongConsumer read, LongConsumer written) {
    this.read = read;
    this.written = written;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf b) {
      read.accept(b.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf b) {
      written.accept(b.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
