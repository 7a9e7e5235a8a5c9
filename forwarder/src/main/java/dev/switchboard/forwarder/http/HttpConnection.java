package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.ConnectionLifecycle;
import dev.switchboard.forwarder.internal.ProxyHeaderReader;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection in HTTP/1.1 mode, with its own endpoint connection: requests are decoded,
 * shown to the {@link HttpExchangeObserver} (which may set headers) and re-encoded towards the
 * endpoint in order; responses come back in order and complete the oldest exchange in flight. So
 * keep-alive and pipelining work as the client and endpoint intend: the proxy never reorders,
 * never holds a request back, and closes each side when the other closes.
 *
 * <p>Back-pressure as in copy mode: AUTO_READ off on both sides; after a read's messages are
 * written and flushed, the next read is asked for only when the last write completed. Nothing is
 * read from the client before the endpoint is connected, so a connect retry never replays bytes.
 *
 * <p>Connecting, retrying, the preamble, closing and reporting are the {@link ConnectionLifecycle}'s.
 * The endpoint connection is this client connection's own: a pool of endpoint connections shared
 * between clients would replace {@link #openEndpoint} and {@link #forward}'s channel, not this class.
 *
 * <p>Confined to the client channel's event loop (the endpoint channel is registered there too).
 */
final class HttpConnection extends ConnectionLifecycle<HttpListener> {
    private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);

    private final HttpOptions http;
    private final ArrayDeque<HttpExchangeObserver.Exchange> inFlight = new ArrayDeque<>();
    private boolean clientEof;
    /** The response being relayed is a 1xx (not 101): it does not complete an exchange. */
    private boolean informational;
    /** The response being relayed is a 101: once it is written, both sides become a byte tunnel. */
    private boolean switching;
    private ChannelFuture lastToUpstream;
    private ChannelFuture lastToClient;
    /** Decoded from the client before the endpoint was connected (after a PROXY header); else null. */
    private ArrayDeque<Object> early;

    HttpConnection(HttpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
        super(listener, client, info, first);
        this.http = listener.spec().http();
    }

    /** Adds the client-side handlers; called on the acceptor's loop before registration. */
    void install() {
        int max = http.maxHeaderBytes();
        long idleMillis = listener.spec().options().idleTimeout().toMillis();
        if (idleMillis > 0) {
            client.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
        }
        client.pipeline().addLast("bytes", new ByteCounter(this::countFromClient, this::countToClient))
                .addLast("codec", new HttpServerCodec(max, max, 64 * 1024))
                .addLast("side", new ClientSide());
    }

    @Override
    protected ChannelFuture openEndpoint(InetSocketAddress address) {
        int max = http.maxHeaderBytes();
        return listener.connector(client.eventLoop(), new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("codec", new HttpClientCodec(max, max, 64 * 1024))
                        .addLast("side", new UpstreamSide());
            }
        }).connect(address);
    }

    @Override
    protected void forward(Channel upstream) {
        upstream.read();
        if (early == null) {
            client.read();
            return;
        }
        // What came with the PROXY header goes first, in order; the next read follows its write.
        for (Object msg; (msg = early.poll()) != null; ) {
            fromClient(msg);
        }
        early = null;
        clientReadComplete();
    }

    private void fromClient(Object msg) {
        if (phase() != Phase.FORWARDING && !closing()) {
            // Only after a PROXY header (else nothing is read before relaying): held until the
            // endpoint is connected; one read's worth, since the decoder stops asking once it has a
            // message and we ask for more only when relaying.
            if (early == null) {
                early = new ArrayDeque<>(4);
            }
            early.add(msg);
            return;
        }
        if (closing()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                log.debug("{}: connection {}: bad request: {}", info().listener(), info().id(),
                        request.decoderResult().cause());
                ReferenceCountUtil.release(msg);
                closeNow(Outcome.ERROR);
                return;
            }
            inFlight.add(onRequest(request));
        }
        lastToUpstream = upstream().write(msg);
    }

    private void clientReadComplete() {
        if (phase() != Phase.FORWARDING) {
            return; // held in early, or closing
        }
        ChannelFuture last = lastToUpstream;
        if (last == null || closing()) {
            return; // nothing decoded yet: the decoder asked for more bytes itself
        }
        lastToUpstream = null;
        upstream().flush();
        last.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                failed(f.cause());
            } else if (!closing() && !clientEof) {
                client.read();
            }
        });
    }

    /** The client will send no more: pass its FIN on once everything before it is written. */
    private void clientInputShutdown() {
        clientEof = true;
        Channel upstream = upstream();
        if (closing() || upstream == null) {
            return;
        }
        upstream.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture w) -> {
            if (w.isSuccess() && upstream.isActive()) {
                ((DuplexChannel) upstream).shutdownOutput();
            }
        });
    }

    private void fromUpstream(Object msg) {
        if (closing()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && response.status().code() != 101;
            switching = response.status().code() == 101;
            HttpExchangeObserver.Exchange exchange = inFlight.peek();
            if (!informational && exchange != null) {
                safely(() -> exchange.onResponse(response));
            }
        }
        boolean last = msg instanceof LastHttpContent;
        ChannelFuture written = client.write(msg);
        lastToClient = written;
        if (last && !informational) {
            HttpExchangeObserver.Exchange exchange = inFlight.poll();
            if (exchange != null) {
                written.addListener(f -> safely(() -> {
                    if (f.isSuccess()) {
                        exchange.onComplete();
                    } else {
                        exchange.onFailed("writing the response to the client failed");
                    }
                }));
            }
            if (switching) {
                becomeTunnel();
            }
        }
    }

    /**
     * The endpoint switched protocols (101, e.g. WebSocket): from here on neither side speaks
     * HTTP/1.1, so both codecs leave their pipelines; what a decoder still held passes on as bytes
     * (the endpoint may send its first frames in the 101's segment). Writes already made were
     * encoded when they were made. The exchange of the upgrade request completed with its 101.
     */
    private void becomeTunnel() {
        switching = false;
        if (client.pipeline().get("codec") != null) {
            client.pipeline().remove("codec");
        }
        if (upstream().pipeline().get("codec") != null) {
            upstream().pipeline().remove("codec");
        }
    }

    private void upstreamReadComplete() {
        ChannelFuture last = lastToClient;
        if (last == null || closing()) {
            return;
        }
        lastToClient = null;
        client.flush();
        last.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                failed(f.cause());
            } else if (!closing()) {
                upstream().read();
            }
        });
    }

    /** The endpoint closed (or half-closed): deliver what is queued, then close the client. */
    private void upstreamDone() {
        if (phase() == Phase.FORWARDING) {
            endpointClosed(outcomeWhenUndecided());
        }
    }

    private HttpExchangeObserver.Exchange onRequest(HttpRequest request) {
        HttpExchangeObserver.Exchange[] e = {null};
        safely(() -> e[0] = http.observer().onRequest(info(), endpoint(), request));
        return e[0] == null ? HttpExchangeObserver.Exchange.NOOP : e[0];
    }

    private void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("HttpExchangeObserver failed for {}", info(), e);
        }
    }

    // ---- the lifecycle's hooks ----

    @Override
    protected Outcome outcomeWhenUndecided() {
        return inFlight.isEmpty() ? Outcome.COMPLETED : errorOutcome();
    }

    @Override
    protected void released() {
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        for (HttpExchangeObserver.Exchange e; (e = inFlight.poll()) != null; ) {
            HttpExchangeObserver.Exchange exchange = e;
            safely(() -> exchange.onFailed("connection closed before the response was complete"));
        }
    }

    private final class ClientSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            start();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ProxyHeaderReader.Client who) {
                clientIdentified(who);
            } else {
                fromClient(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            clientReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                clientInputShutdown();
            } else if (evt instanceof IdleStateEvent) {
                idle();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(cause);
        }
    }

    /** The endpoint side; events from a channel that is not {@link #upstream()} (a failed attempt's) are dropped. */
    private final class UpstreamSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (stale(ctx.channel())) {
                ReferenceCountUtil.release(msg);
            } else {
                fromUpstream(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!stale(ctx.channel())) {
                upstreamReadComplete();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && !stale(ctx.channel())) {
                upstreamReadComplete();
                upstreamDone();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!stale(ctx.channel())) {
                upstreamReadComplete();
                upstreamDone();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!stale(ctx.channel())) {
                failed(cause);
            }
        }
    }
}
