package dev.switchboard.forwarder.h2;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handlers of a call's two stream channels: they only hand their events to the {@link
 * H2Call}, which decides. Both on the call's event loop.
 */
final class H2StreamSides {
  private H2StreamSides() {}

  /** On the client's stream: it reads once active (the request's headers), then as told. */
  static final class ClientSide extends ChannelInboundHandlerAdapter {
    private final H2Call call;

    ClientSide(H2Call call) {
      this.call = call;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.read(); // the request's headers
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      call.clientFrame(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      call.clientReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      call.clientWritable();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      call.clientGone("client stream closed");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      call.clientGone("client stream failed: " + cause);
      ctx.close();
    }
  }

  /** On the stream to the endpoint: read as the call asks (after its writes to the client). */
  static final class EndpointSide extends ChannelInboundHandlerAdapter {
    private final H2Call call;

    EndpointSide(H2Call call) {
      this.call = call;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      call.endpointFrame(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      call.endpointReadComplete();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2GoAwayFrame) {
        call.endpointGoAway(); // this stream is above the endpoint's last stream id
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      call.endpointWritable();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      call.endpointFailed("endpoint stream closed");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      call.endpointFailed("endpoint stream failed: " + cause);
      ctx.close();
    }
  }
}
