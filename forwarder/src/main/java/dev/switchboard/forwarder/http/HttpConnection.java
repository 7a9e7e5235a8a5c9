package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.ClientHeaderWait;
import dev.switchboard.forwarder.internal.ProxyHeaderReader;
import dev.switchboard.forwarder.internal.StreamListenerBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
import java.util.HashSet;
import java.util.Set;
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
 * <p>Confined to the client channel's event loop (the endpoint channel is registered there too).
 */
final class HttpConnection {
    private static final Logger log = LoggerFactory.getLogger(HttpConnection.class);

    private final HttpListener listener;
    private final Channel client;
    /** Replaced once, when a PROXY header names the client. */
    private ConnectionInfo info;
    private final HttpOptions http;
    private final long startNanos = System.nanoTime();
    private final Set<InetSocketAddress> tried = new HashSet<>(4);
    private final ArrayDeque<HttpExchangeObserver.Exchange> inFlight = new ArrayDeque<>();
    private Endpoint endpoint;
    private int attempts;
    private Channel upstream;
    private boolean relaying;
    private boolean clientEof;
    /** The response being relayed is a 1xx (not 101): it does not complete an exchange. */
    private boolean informational;
    /** The response being relayed is a 101: once it is written, both sides become a byte tunnel. */
    private boolean switching;
    private ChannelFuture lastToUpstream;
    private ChannelFuture lastToClient;
    private long bytesFromClient;
    private long bytesToClient;
    private Outcome outcome;
    private boolean finished;
    /** While waiting for a PROXY header (or its absence); null on other listeners. */
    private ClientHeaderWait headerWait;
    /** Decoded from the client before the endpoint was connected (after a PROXY header); else null. */
    private ArrayDeque<Object> early;

    HttpConnection(HttpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
        this.listener = listener;
        this.client = client;
        this.info = info;
        this.http = listener.spec().http();
        this.endpoint = first;
    }

    /** Adds the client-side handlers; called on the acceptor's loop before registration. */
    void install() {
        int max = http.maxHeaderBytes();
        long idleMillis = listener.spec().options().idleTimeout().toMillis();
        if (idleMillis > 0) {
            client.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
        }
        client.pipeline().addLast("bytes", new ByteCounter(n -> {
            bytesFromClient += n;
            listener.counters().bytesIn.add(n);
        }, n -> {
            bytesToClient += n;
            listener.counters().bytesOut.add(n);
        }))
                .addLast("codec", new HttpServerCodec(max, max, 64 * 1024))
                .addLast("side", new ClientSide());
        client.closeFuture().addListener(f -> clientClosed());
    }

    private boolean closing() {
        return outcome != null || finished;
    }


    private void connect(Endpoint target) {
        endpoint = target;
        attempts++;
        tried.add(target.socketAddress());
        int max = http.maxHeaderBytes();
        ChannelFuture connecting = listener.connector(client.eventLoop(), new io.netty.channel.ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("codec", new HttpClientCodec(max, max, 64 * 1024))
                        .addLast("side", new UpstreamSide());
            }
        }).connect(target.socketAddress());
        upstream = connecting.channel();
        connecting.addListener((ChannelFuture f) -> connected(f));
    }

    private void connected(ChannelFuture f) {
        if (closing()) {
            f.channel().close();
            return;
        }
        if (f.isSuccess()) {
            startRelay();
            return;
        }
        upstream = null;
        f.channel().close();
        listener.afterConnectFailure(info, endpoint, attempts, f.cause(), Set.copyOf(tried), client.eventLoop(),
                next -> {
                    if (closing()) {
                        return;
                    }
                    if (next == null) {
                        abort(Outcome.CONNECT_FAILED);
                    } else {
                        connect(next);
                    }
                });
    }

    private void startRelay() {
        ByteBuf preamble;
        try {
            preamble = listener.spec().options().preamble().preamble(upstream.alloc(), info, endpoint.socketAddress());
        } catch (RuntimeException e) {
            log.warn("{}: preamble for connection {} failed", info.listener(), info.id(), e);
            closeNow(Outcome.ERROR);
            return;
        }
        if (preamble != null) {
            // Below the codec: the header goes out as raw bytes, before the first request.
            upstream.pipeline().firstContext().writeAndFlush(preamble);
        }
        relaying = true;
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
        if (!relaying && !closing()) {
            // Only after a PROXY header (else nothing is read before relaying): held until the
            // endpoint is connected; one read's worth, since the decoder stops asking once it has a
            // message and we ask for more only when relaying.
            if (early == null) {
                early = new ArrayDeque<>(4);
            }
            early.add(msg);
            return;
        }
        if (closing() || !relaying) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (request.decoderResult().isFailure()) {
                log.debug("{}: connection {}: bad request: {}", info.listener(), info.id(), request.decoderResult().cause());
                ReferenceCountUtil.release(msg);
                closeNow(Outcome.ERROR);
                return;
            }
            inFlight.add(onRequest(request));
        }
        lastToUpstream = upstream.write(msg);
    }

    private void clientReadComplete() {
        if (!relaying) {
            return; // held in early
        }
        ChannelFuture last = lastToUpstream;
        if (last == null || closing()) {
            return; // nothing decoded yet: the decoder asked for more bytes itself
        }
        lastToUpstream = null;
        upstream.flush();
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
        if (upstream.pipeline().get("codec") != null) {
            upstream.pipeline().remove("codec");
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
                upstream.read();
            }
        });
    }

    /** The endpoint closed (or half-closed): deliver what is queued, then close the client. */
    private void upstreamDone() {
        if (closing() || !relaying) {
            return;
        }
        outcome = inFlight.isEmpty() ? Outcome.COMPLETED : errorOutcome();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> client.close());
    }


    private HttpExchangeObserver.Exchange onRequest(HttpRequest request) {
        HttpExchangeObserver.Exchange[] e = {null};
        safely(() -> e[0] = http.observer().onRequest(info, endpoint, request));
        return e[0] == null ? HttpExchangeObserver.Exchange.NOOP : e[0];
    }

    private void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("HttpExchangeObserver failed for {}", info, e);
        }
    }

    private void failed(Throwable cause) {
        if (!closing()) {
            log.debug("{}: connection {} to {} failed: {}", info.listener(), info.id(), endpoint, cause.toString());
            closeNow(errorOutcome());
        }
    }

    private void abort(Outcome why) {
        outcome = why;
        StreamListenerBase.reset(client);
    }

    private void closeNow(Outcome why) {
        outcome = why;
        client.close();
        if (upstream != null) {
            upstream.close();
        }
    }

    private Outcome errorOutcome() {
        return listener.errorOutcome();
    }

    private void clientClosed() {
        Channel u = upstream;
        if (u != null && u.isOpen()) {
            u.close().addListener(f -> finish());
        } else {
            finish();
        }
    }

    private void finish() {
        if (finished) {
            return;
        }
        if (outcome == null) {
            outcome = inFlight.isEmpty() ? Outcome.COMPLETED : errorOutcome();
        }
        finished = true;
        if (headerWait != null) {
            headerWait.cancel();
        }
        if (early != null) {
            early.forEach(ReferenceCountUtil::release);
            early = null;
        }
        for (HttpExchangeObserver.Exchange e; (e = inFlight.poll()) != null; ) {
            HttpExchangeObserver.Exchange exchange = e;
            safely(() -> exchange.onFailed("connection closed before the response was complete"));
        }
        listener.connectionFinished(info, endpoint, attempts, outcome, bytesFromClient, bytesToClient, startNanos);
    }

    private final class ClientSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (endpoint != null) {
                connect(endpoint);
                return;
            }
            // The listener accepts PROXY headers: the pick waits for what the first bytes say.
            headerWait = new ClientHeaderWait(listener, client, info, HttpConnection.this::closing,
                    known -> info = known, HttpConnection.this::connect,
                    why -> {
                        if (why == Outcome.NO_ENDPOINT) {
                            abort(why);
                        } else {
                            closeNow(why);
                        }
                    });
            headerWait.start();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ProxyHeaderReader.Client who) {
                if (headerWait != null) {
                    headerWait.client(who);
                }
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
            } else if (evt instanceof IdleStateEvent && !closing()) {
                closeNow(Outcome.IDLE_TIMEOUT);
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(cause);
        }
    }

    private final class UpstreamSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            fromUpstream(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            upstreamReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                upstreamReadComplete();
                upstreamDone();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            upstreamReadComplete();
            upstreamDone();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(cause);
        }
    }
}
