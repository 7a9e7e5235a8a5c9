package dev.switchboard.lb.nodes;

import dev.switchboard.forwarder.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Active checks over real sockets, on one event loop thread of their own (checks are few and tiny;
 * they must not queue behind forwarded traffic, nor it behind them).
 *
 * <p>HTTP checks speak just enough HTTP/1.1 for kube-proxy's healthCheckNodePort contract:
 * {@code GET /healthz} with {@code Connection: close}, and the status code of the first line decides.
 */
public final class NettyProbe implements Probe, AutoCloseable {
    /** A status line longer than this is not one. */
    private static final int MAX_STATUS_LINE = 512;

    private final Transport transport;
    private final EventLoopGroup group;

    public NettyProbe(Transport transport) {
        this.transport = transport;
        this.group = transport.newEventLoopGroup(1, new DefaultThreadFactory("switchboard-lb-health", true));
    }

    @Override
    public CompletableFuture<String> check(CheckTarget target, Duration timeout) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
                .handler(target.kind() == CheckTarget.Kind.HTTP ? new HttpStatus(target, result)
                        : new ChannelInboundHandlerAdapter());
        ChannelFuture connect;
        try {
            connect = b.connect(target.address());
        } catch (RuntimeException e) { // shutting down
            result.complete("cannot check: " + e.getMessage());
            return result;
        }
        Channel ch = connect.channel();
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                result.complete(describe(f.cause()));
            } else if (target.kind() == CheckTarget.Kind.TCP) {
                result.complete(null);
                ch.close();
            }
        });
        ScheduledFuture<?> deadline = ch.eventLoop().schedule(() -> {
            if (result.complete("timed out after " + timeout.toMillis() + " ms")) {
                ch.close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
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

    /** Sends the request once connected, reads the status line, closes. Confined to the channel's loop. */
    private static final class HttpStatus extends ChannelInboundHandlerAdapter {
        private final CheckTarget target;
        private final CompletableFuture<String> result;
        private final StringBuilder line = new StringBuilder();

        HttpStatus(CheckTarget target, CompletableFuture<String> result) {
            this.target = target;
            this.result = result;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            String host = target.address().getAddress().getHostAddress() + ":" + target.address().getPort();
            String request = "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: switchboard-cloud-lb\r\n"
                    + "Accept: */*\r\nConnection: close\r\n\r\n";
            ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
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

        /** Null for "HTTP/1.x 200 ...", else why not. */
        private static String status(String statusLine) {
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                return "not an HTTP status line: " + abbreviate(statusLine);
            }
            return parts[1].equals("200") ? null : "HTTP " + parts[1];
        }

        private static String abbreviate(String s) {
            return s.length() <= 40 ? s : s.substring(0, 40) + "...";
        }
    }
}
