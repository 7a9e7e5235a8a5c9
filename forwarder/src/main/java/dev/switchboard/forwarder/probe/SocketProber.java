package dev.switchboard.forwarder.probe;

import dev.switchboard.forwarder.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Active checks over real sockets — a TCP connect, or an HTTP/1.1 GET whose status decides — on one
 * event loop thread of their own: checks are small and must not queue behind forwarded traffic, nor
 * it behind them. Used by cloud-lb's node checks and by the node agent's pod probes alike.
 *
 * <p>Every check completes with null when it passed, or with a short reason when it failed
 * ("connection refused", "HTTP probe failed with statuscode: 503", "timed out after 1000 ms"); it
 * never completes exceptionally, and may complete on any thread.
 */
public final class SocketProber implements AutoCloseable {
  /** A status line longer than this is not one. */
  private static final int MAX_STATUS_LINE = 512;

  private final Transport transport;
  private final EventLoopGroup group;
  private final String userAgent;
  private final SslContext insecureTls;

  /**
   * @param userAgent what HTTP checks say they are, e.g. {@code switchboard-cloud-lb}
   */
  public SocketProber(Transport transport, String name, String userAgent) {
    this.transport = transport;
    this.userAgent = userAgent;
    this.group = transport.newEventLoopGroup(1, new DefaultThreadFactory(name, true));
    try {
      this.insecureTls =
          SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    } catch (SSLException e) {
      throw new IllegalStateException("TLS for HTTPS checks: " + e.getMessage(), e);
    }
  }

  /** Passes when a TCP connection to {@code address} is accepted within {@code timeout}. */
  public CompletableFuture<String> tcp(InetSocketAddress address, Duration timeout) {
    return connect(address, null, timeout);
  }

  /**
   * Passes when {@code check}'s GET to {@code address} answers a status it accepts, within {@code
   * timeout}.
   */
  public CompletableFuture<String> http(
      InetSocketAddress address, HttpCheck check, Duration timeout) {
    return connect(address, check, timeout);
  }

  private CompletableFuture<String> connect(
      InetSocketAddress address, HttpCheck http, Duration timeout) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(transport.socketChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
            .handler(
                http == null
                    ? new ChannelInboundHandlerAdapter()
                    : new ChannelInitializer<>() {
                      @Override
                      protected void initChannel(Channel ch) {
                        if (http.tls()) {
                          ch.pipeline()
                              .addLast(
                                  insecureTls.newHandler(
                                      ch.alloc(),
                                      address.getAddress().getHostAddress(),
                                      address.getPort()));
                        }
                        ch.pipeline().addLast(new HttpStatus(address, http, userAgent, result));
                      }
                    });
    ChannelFuture connect;
    try {
      connect = b.connect(address);
    } catch (RuntimeException e) { // shutting down
      result.complete("cannot check: " + e.getMessage());
      return result;
    }
    Channel ch = connect.channel();
    connect.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            result.complete(describe(f.cause()));
          } else if (http == null) {
            result.complete(null);
            ch.close();
          }
        });
    ScheduledFuture<?> deadline =
        ch.eventLoop()
            .schedule(
                () -> {
                  if (result.complete("timed out after " + timeout.toMillis() + " ms")) {
                    ch.close();
                  }
                },
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
    result.whenComplete((r, e) -> deadline.cancel(false));
    return result;
  }

  private static String describe(Throwable cause) {
    if (cause instanceof ConnectException) {
      return "connection refused";
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /**
   * Sends the request once the connection (and TLS, when asked) is up, reads the status line,
   * closes. Confined to the channel's loop.
   */
  private static final class HttpStatus extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress address;
    private final HttpCheck check;
    private final String userAgent;
    private final CompletableFuture<String> result;
    private final StringBuilder line = new StringBuilder();

    HttpStatus(
        InetSocketAddress address,
        HttpCheck check,
        String userAgent,
        CompletableFuture<String> result) {
      this.address = address;
      this.check = check;
      this.userAgent = userAgent;
      this.result = result;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      StringBuilder request =
          new StringBuilder("GET ")
              .append(check.path())
              .append(" HTTP/1.1\r\nHost: ")
              .append(address.getAddress().getHostAddress())
              .append(':')
              .append(address.getPort())
              .append("\r\nUser-Agent: ")
              .append(userAgent)
              .append("\r\nAccept: */*\r\n");
      for (Map.Entry<String, String> h : check.headers()) {
        request.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (result.isDone() || !(msg instanceof ByteBuf buf)) {
          return;
        }
        while (buf.isReadable()) {
          char c = (char) buf.readByte();
          if (c == '\n') {
            done(ctx, status(line.toString().trim()));
            return;
          }
          line.append(c);
          if (line.length() > MAX_STATUS_LINE) {
            done(ctx, "not an HTTP status line");
            return;
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.complete("closed before an HTTP status line");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done(ctx, describe(cause));
    }

    private void done(ChannelHandlerContext ctx, String failure) {
      result.complete(failure);
      ctx.close();
    }

    /** Null for an accepted "HTTP/1.x NNN ...", else why not. */
    private String status(String statusLine) {
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
        return "not an HTTP status line: " + abbreviate(statusLine);
      }
      int code = Integer.parseInt(parts[1]);
      return code >= check.minStatus() && code <= check.maxStatus()
          ? null
          : "HTTP probe failed with statuscode: " + code;
    }

    private static String abbreviate(String s) {
      return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
  }
}
