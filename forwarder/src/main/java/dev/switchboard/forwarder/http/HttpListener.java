package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.StreamListenerBase;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;

/**
 * A TCP listener in HTTP/1.1 mode. Accepting works as for plain TCP (connection limit and endpoint
 * pick on the listener's loop, where the picker lives); each accepted connection is then forwarded
 * by an {@link HttpConnection}, which parses both directions so that every request passes the
 * {@link HttpExchangeObserver}. There is no splice in this mode: bytes must be seen to be parsed.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#http()} set.
 */
public final class HttpListener extends StreamListenerBase {

    private static final ChannelHandler NO_CHILD_HANDLER = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private final Bootstrap connectTemplate;

    public HttpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
        super(spec, ctx, initial);
        if (spec.http() == null) {
            throw new IllegalArgumentException("spec.http: null (expected: http options for " + spec.describe() + ")");
        }
        this.connectTemplate = new Bootstrap()
                .channel(ctx.transport().socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, ctx.allocator())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, spec.options().connectTimeout().toMillis()));
    }

    @Override
    protected ChannelFuture bind() {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop, ctx.group())
                .channel(ctx.transport().serverSocketChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.ALLOCATOR, ctx.allocator())
                .handler(acceptGate())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, ctx.allocator())
                .childHandler(NO_CHILD_HANDLER);
        if (spec.options().reusePort()) {
            b.option(ctx.transport().reusePortOption(), true);
        }
        return b.bind(spec.bindAddress());
    }

    Bootstrap connector(EventLoop eventLoop, ChannelHandler handler) {
        return connectTemplate.clone(eventLoop).handler(handler);
    }

    @Override
    protected void admitted(ChannelHandlerContext gate, Channel child, ConnectionInfo info, Endpoint first) {
        new HttpConnection(this, child, info, first).install();
        gate.fireChannelRead(child); // ServerBootstrap's acceptor registers it, with the child options
    }
}
