package dev.switchboard.forwarder.tcp;

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
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded TCP connection: connects the endpoint (retrying other endpoints while nothing has
 * been forwarded), then relays by copy ({@link CopyPipe} per direction) or splice ({@link SpliceRelay}),
 * and reports the outcome once both channels are closed.
 *
 * <p>Concurrency: all state is confined to the client channel's event loop; the endpoint channel is
 * registered on the same loop, so no field here is touched by two threads. The listener's loop is
 * only involved for a re-pick after a failed connect.
 */
final class TcpConnection {
    private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

    private final TcpListener listener;
    private final Channel client;
    /** Replaced once, when a PROXY header names the client. */
    private ConnectionInfo info;
    private final long startNanos = System.nanoTime();
    /** The first endpoint tried; null until picked when the listener waits for a PROXY header. */
    private Endpoint first;
    /** While waiting for a PROXY header (or its absence); null on other listeners. */
    private ClientHeaderWait headerWait;
    /** Endpoints tried so far; null until a second attempt (the first is {@link #first}). */
    private Set<InetSocketAddress> tried;
    private final CopyPipe up;
    private Endpoint endpoint;
    /** Copy mode with an idle timeout: {@code System.nanoTime()} of the last read or completed write. */
    private long lastActivityNanos;
    private ScheduledFuture<?> idleCheck;
    private int attempts;
    /** The endpoint channel, once a connect was started; null while re-picking. */
    private Channel upstream;
    private CopyPipe down;
    private SpliceRelay splice;
    private long bytesFromClient;
    private long bytesToClient;
    private int directionsDone;
    /** Why it ends; the first reason wins. Non-null means closing. */
    private Outcome outcome;
    private boolean finished;
    /** Copy mode, after our FIN to the client: its end of stream closes its channel (see directionDone). */
    private boolean clientEofCloses;

    TcpConnection(TcpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
        this.listener = listener;
        this.client = client;
        this.info = info;
        this.first = first;
        this.endpoint = first;
        this.up = new CopyPipe(this, client, null, true);
        client.closeFuture().addListener(f -> clientClosed());
    }

    ChannelHandler clientHandler() {
        return new SideHandler(this, true);
    }

    boolean closing() {
        return outcome != null || finished;
    }

    // ---- connect, with retry on other endpoints ----

    void clientActive() {
        if (endpoint == null) {
            // The listener accepts PROXY headers: the pick waits for what the first bytes say.
            headerWait = new ClientHeaderWait(listener, client, info, this::closing, known -> info = known,
                    picked -> {
                        first = picked;
                        connect(picked);
                    }, why -> {
                        if (why == Outcome.NO_ENDPOINT) {
                            abort(why);
                        } else {
                            closeNow(why);
                        }
                    });
            headerWait.start();
            return;
        }
        connect(endpoint);
        if (!listener.spliceEnabled()) {
            // Copy mode reads the client's first bytes while the endpoint connects (one buffer, held
            // by the pipe until the endpoint is connected; they go to exactly one endpoint, so a retry
            // replays nothing). The request then leaves in the same event loop turn as the connect
            // completes, instead of one turn later. Splice mode must not read: it wants a pristine socket.
            client.read();
        }
    }

    /** The first bytes told who the client is (a PROXY header, or none). */
    void proxyClient(ProxyHeaderReader.Client who) {
        if (headerWait != null) {
            headerWait.client(who);
        }
    }

    private void connect(Endpoint target) {
        endpoint = target;
        attempts++;
        if (attempts > 1) { // the set of tried endpoints is only needed for a re-pick
            if (tried == null) {
                tried = new HashSet<>(4);
                tried.add(first.socketAddress());
            }
            tried.add(target.socketAddress());
        }
        InetSocketAddress address = target.socketAddress();
        Channel ch;
        try {
            ch = listener.newEndpointChannel(address);
        } catch (RuntimeException e) { // socket(2) failed, e.g. out of file descriptors
            connectFailed(e);
            return;
        }
        ch.pipeline().addLast(new SideHandler(this, false));
        upstream = ch;
        // On the client's loop, so registration completes at once and the connect starts right away.
        ChannelFuture registered = client.eventLoop().register(ch);
        if (registered.isDone()) {
            registered(registered, address);
        } else {
            registered.addListener((ChannelFuture f) -> registered(f, address));
        }
    }

    private void registered(ChannelFuture registration, InetSocketAddress address) {
        Channel ch = registration.channel();
        if (!registration.isSuccess()) {
            ch.unsafe().closeForcibly();
            connected(registration);
            return;
        }
        ch.connect(address).addListener((ChannelFuture f) -> connected(f));
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
        f.channel().close();
        connectFailed(f.cause());
    }

    private void connectFailed(Throwable cause) {
        upstream = null;
        Set<InetSocketAddress> excluded = tried == null ? Set.of(endpoint.socketAddress()) : Set.copyOf(tried);
        listener.afterConnectFailure(info, endpoint, attempts, cause, excluded, client.eventLoop(), next -> {
            if (closing()) {
                return;
            }
            if (next == null) {
                abort(Outcome.CONNECT_FAILED); // attempts used up, or no other candidate left
            } else {
                connect(next);
            }
        });
    }

    /** Sends the listener's preamble (a PROXY header), if any, before the first byte of the client's. */
    private void startRelay() {
        ByteBuf preamble;
        try {
            preamble = listener.spec().options().preamble().preamble(upstream.alloc(), info, endpoint.socketAddress());
        } catch (RuntimeException e) {
            log.warn("{}: preamble for connection {} failed", info.listener(), info.id(), e);
            failed(e);
            return;
        }
        if (preamble == null) {
            relay();
            return;
        }
        upstream.writeAndFlush(preamble).addListener((ChannelFuture f) -> {
            if (closing()) {
                return;
            }
            if (f.isSuccess()) {
                relay();
            } else {
                failed(f.cause());
            }
        });
    }

    private void relay() {
        long idleMillis = listener.spec().options().idleTimeout().toMillis();
        if (listener.spliceEnabled() && up.pristine() && SpliceRelay.supports(client, upstream)) {
            splice = new SpliceRelay(this, client, upstream, idleMillis);
            splice.start();
            return;
        }
        if (idleMillis > 0) {
            // Netty's IdleStateHandler would add a handler and a listener on every write; every byte
            // passes through read() and the pipes anyway, so a timestamp there and one timer do.
            lastActivityNanos = System.nanoTime();
            scheduleIdleCheck(TimeUnit.MILLISECONDS.toNanos(idleMillis));
        }
        if (down == null) {
            down = new CopyPipe(this, upstream, client, false);
        }
        up.attach(upstream);
        down.start();
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = client.eventLoop().schedule(this::idleCheck, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Copy mode: closes the connection once nothing moved for the idle timeout, else looks again later. */
    private void idleCheck() {
        if (closing()) {
            return;
        }
        long timeout = TimeUnit.MILLISECONDS.toNanos(listener.spec().options().idleTimeout().toMillis());
        long idle = System.nanoTime() - lastActivityNanos;
        if (idle >= timeout) {
            idle();
        } else {
            scheduleIdleCheck(timeout - idle);
        }
    }

    /** Copy mode: a write completed (reads are seen in {@link #read}). */
    void written() {
        if (idleCheck != null) {
            lastActivityNanos = System.nanoTime();
        }
    }

    // ---- events from the two SideHandlers ----

    /**
     * Events from an endpoint channel that is no longer this connection's (a failed connect attempt,
     * closed while a retry goes on) are ignored: its failure was handled when the connect failed.
     */
    private boolean stale(boolean fromClient, Channel ch) {
        return !fromClient && ch != upstream;
    }

    void read(boolean fromClient, Channel ch, ByteBuf buf) {
        if (idleCheck != null) {
            lastActivityNanos = System.nanoTime();
        }
        if (closing() || stale(fromClient, ch)) {
            buf.release();
        } else if (splice != null) {
            splice.stray(fromClient, buf);
        } else if (fromClient) {
            up.onRead(buf);
        } else {
            if (down == null) { // not seen: the connect completes before the endpoint's first read
                down = new CopyPipe(this, upstream, client, false);
            }
            down.onRead(buf);
        }
    }

    void inputShutdown(boolean fromClient, Channel ch) {
        if (closing() || stale(fromClient, ch)) {
            return;
        }
        if (splice != null) {
            splice.inputShutdown(fromClient);
        } else if (fromClient) {
            up.onEof();
        } else if (down != null) {
            down.onEof();
        }
    }

    void inactive(boolean fromClient, Channel ch) {
        if (fromClient || closing() || stale(fromClient, ch)) {
            return; // the client's close is handled by clientClosed(); ours were decided already
        }
        // The endpoint's socket went away before both directions ended: deliver what is queued, then close.
        outcome = errorOutcome();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> client.close());
    }

    void exception(boolean fromClient, Channel ch, Throwable cause) {
        if (stale(fromClient, ch)) {
            return;
        }
        if (!closing()) {
            log.debug("{}: {} side of connection {} failed: {}", info.listener(), fromClient ? "client" : "endpoint",
                    info.id(), cause.toString());
        }
        failed(cause);
    }

    void idle() {
        if (!closing()) {
            closeNow(Outcome.IDLE_TIMEOUT);
        }
    }

    // ---- called by the relays ----

    void count(boolean fromClient, long n) {
        if (fromClient) {
            bytesFromClient += n;
            listener.counters().bytesIn.add(n);
        } else {
            bytesToClient += n;
            listener.counters().bytesOut.add(n);
        }
    }

    /** True when one direction is complete and the other is about to be: the connection then closes. */
    boolean lastDirection() {
        return directionsDone == 1 && !closing();
    }

    /** The FIN was passed on to {@code dst}: that direction is complete. */
    void directionDone(Channel dst) {
        if (++directionsDone == 2 && !closing()) {
            closeNow(Outcome.COMPLETED);
        } else if (dst == client && down != null && !closing()) {
            // Copy mode, the client has our FIN and may still send. From now on its end of stream
            // closes the client channel (no half-closure): Netty would otherwise shut the socket's
            // input down, which fails with ENOTCONN once the client has closed too (the socket is
            // already in TIME_WAIT) and costs a stack-traced exception per connection. clientClosed()
            // then finishes the client-to-endpoint direction as an end of stream would.
            ((SocketChannelConfig) client.config()).setAllowHalfClosure(false);
            clientEofCloses = true;
        }
    }

    void failed(Throwable cause) {
        if (!closing()) {
            log.debug("{}: connection {} to {} failed: {}", info.listener(), info.id(), endpoint, cause.toString());
            closeNow(errorOutcome());
        }
    }

    // ---- ending ----

    /** Closes the client with a reset: nothing was forwarded, the client should see a refusal, not an EOF. */
    private void abort(Outcome why) {
        outcome = why;
        StreamListenerBase.reset(client);
    }

    private void closeNow(Outcome why) {
        outcome = why;
        if (splice != null) {
            splice.sample(); // last chance to read TCP_INFO
        }
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
        if (clientEofCloses && !closing() && u != null && u.isOpen() && !listener.context().shuttingDown()) {
            // Its end of stream (an error or a close of ours would have set the outcome first):
            // what it sent before is on its way to the endpoint; pass the FIN on after it.
            u.closeFuture().addListener(f -> finish());
            up.onEof();
            return;
        }
        if (u != null && u.isOpen()) {
            if (splice != null) {
                splice.sample();
            }
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
            outcome = errorOutcome();
        }
        finished = true;
        if (idleCheck != null) {
            idleCheck.cancel(false);
        }
        if (headerWait != null) {
            headerWait.cancel();
        }
        up.release();
        if (down != null) {
            down.release();
        }
        if (splice != null) {
            splice.stop();
        }
        listener.connectionFinished(info, endpoint, attempts, outcome, bytesFromClient, bytesToClient, startNanos);
    }
}
