package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.ListenerBase;
import dev.switchboard.forwarder.internal.ListenerCounters;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * A TCP listener in HTTP/1.1 mode. Accepting works as for plain TCP (connection limit and endpoint
 * pick on the listener's loop, where the picker lives); each accepted connection is then forwarded
 * by an {@link HttpConnection}, which parses both directions so that every request passes the
 * {@link HttpExchangeObserver}. There is no splice in this mode: bytes must be seen to be parsed.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#http()} set.
 */
public final class HttpListener extends ListenerBase {

    private static final ChannelHandler NO_CHILD_HANDLER = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private final Bootstrap connectTemplate;

    public HttpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
        super(spec, ctx, initial);
        if (spec.protocol() != Protocol.TCP || spec.http() == null) {
            throw new IllegalArgumentException("spec: " + spec.describe() + " (expected: TCP with http options)");
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
                .handler(new AcceptGate())
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

    ListenerCounters counters() {
        return counters;
    }

    ForwarderContext context() {
        return ctx;
    }

    void connectionClosed() {
        connectionEnded();
    }

    /** As for TCP: a re-pick after a failed connect runs on the listener's loop. */
    void repick(InetSocketAddress client, Set<InetSocketAddress> tried, Executor replyOn, Consumer<Endpoint> reply) {
        try {
            loop.execute(() -> {
                Endpoint next = targeting.pick(client, tried);
                replyOn.execute(() -> reply.accept(next));
            });
        } catch (RejectedExecutionException e) {
            replyOn.execute(() -> reply.accept(null));
        }
    }

    private final class AcceptGate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext gate, Object msg) {
            Channel child = (Channel) msg;
            counters.total.increment();
            InetSocketAddress client = (InetSocketAddress) child.remoteAddress();
            ConnectionInfo info = new ConnectionInfo(ctx.nextId(), spec.name(), Protocol.TCP, client,
                    localAddress(), Instant.now());
            ctx.opened(info);
            int max = spec.options().maxConnections();
            if (max > 0 && counters.active.get() >= max) {
                counters.rejectedOverLimit.increment();
                reject(child, info, Outcome.REJECTED);
                return;
            }
            Endpoint first = targeting.pick(client, Set.of());
            if (first == null) {
                counters.noEndpoint.increment();
                reject(child, info, Outcome.NO_ENDPOINT);
                return;
            }
            counters.active.incrementAndGet();
            new HttpConnection(HttpListener.this, child, info, first).install();
            gate.fireChannelRead(child);
        }

        private void reject(Channel child, ConnectionInfo info, Outcome outcome) {
            try {
                child.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (RuntimeException ignored) {
                // still closed below
            }
            child.unsafe().closeForcibly();
            ctx.closed(info, new ConnectionSummary(Optional.empty(), outcome, 0, 0, 0, Duration.ZERO));
        }
    }
}
