package dev.switchboard.agent.health;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A tiny HTTP/1.1 server for health checks: every request goes to one {@link Handler}. Many of
 * these (one per healthCheckNodePort) share one small event loop group, so a node with many
 * LoadBalancer services does not get a thread per port.
 */
public final class HttpEndpoint implements AutoCloseable {

  /** A complete response. */
  public record Response(int status, String contentType, String body) {
    public static Response text(int status, String body) {
      return new Response(status, "text/plain; charset=utf-8", body);
    }

    public static Response json(int status, String body) {
      return new Response(status, "application/json", body);
    }
  }

  /** Answers a request; called on an event loop thread: must be quick. */
  @FunctionalInterface
  public interface Handler {
    Response handle(String method, String path);
  }

  private final Channel channel;

  private HttpEndpoint(Channel channel) {
    this.channel = channel;
  }

  /**
   * Binds {@code address} and serves; waits at most {@code timeout} for the bind.
   *
   * @throws IOException naming the address when it cannot bind
   */
  public static HttpEndpoint bind(
      EventLoopGroup group, InetSocketAddress address, Handler handler, Duration timeout)
      throws IOException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(new ReadTimeoutHandler(30, TimeUnit.SECONDS))
                        .addLast(new HttpServerCodec(4096, 8192, 8192))
                        .addLast(new HttpServerKeepAliveHandler())
                        .addLast(new HttpObjectAggregator(8192))
                        .addLast(new Responder(handler));
                  }
                });
    ChannelFuture f = b.bind(address);
    if (!f.awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      f.channel().close();
      throw new IOException(
          "cannot bind HTTP "
              + hostPort(address)
              + ": no answer within "
              + timeout.toMillis()
              + " ms");
    }
    if (!f.isSuccess()) {
      Throwable cause = f.cause();
      throw new IOException(
          "cannot bind HTTP "
              + hostPort(address)
              + ": "
              + (cause.getMessage() == null
                  ? cause.getClass().getSimpleName()
                  : cause.getMessage()),
          cause);
    }
    return new HttpEndpoint(f.channel());
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Stops listening; waits for the socket to close (bounded) so the port can be bound again. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  static String hostPort(InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Handler handler;

    Responder(Handler handler) {
      this.handler = handler;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      Response r;
      if (!request.decoderResult().isSuccess()) {
        r = Response.text(400, "bad request\n");
      } else {
        String path;
        try {
          path = URI.create(request.uri()).getPath();
        } catch (IllegalArgumentException e) {
          path = request.uri();
        }
        r = handler.handle(request.method().name(), path == null ? "/" : path);
      }
      byte[] body =
          request.method().name().equals("HEAD")
              ? new byte[0]
              : r.body().getBytes(StandardCharsets.UTF_8);
      FullHttpResponse response =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.valueOf(r.status()),
              Unpooled.wrappedBuffer(body));
      response
          .headers()
          .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
          .set("X-Content-Type-Options", "nosniff")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      ChannelFuture written = ctx.writeAndFlush(response);
      if (!request.decoderResult().isSuccess()) {
        written.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a client that went away or timed out: nothing to report
    }
  }
}
