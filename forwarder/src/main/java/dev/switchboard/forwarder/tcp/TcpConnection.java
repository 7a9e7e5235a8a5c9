package dev.switchboard.forwarder.tcp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
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
    private final ConnectionInfo info;
    private final long startNanos = System.nanoTime();
    private final Set<InetSocketAddress> tried = new HashSet<>(4);
    private final CopyPipe up;
    private Endpoint endpoint;
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

    TcpConnection(TcpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
        this.listener = listener;
        this.client = client;
        this.info = info;
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
        connect(endpoint);
    }

    private void connect(Endpoint target) {
        endpoint = target;
        attempts++;
        tried.add(target.socketAddress());
        ChannelFuture connecting = listener.connector(client.eventLoop(), new SideHandler(this, false))
                .connect(target.socketAddress());
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
        listener.counters().connectFailures.increment();
        log.debug("{}: connect {} failed (attempt {}): {}", info.listener(), endpoint, attempts, f.cause().toString());
        upstream = null;
        f.channel().close();
        if (attempts >= listener.spec().options().maxConnectAttempts()) {
            abort(Outcome.CONNECT_FAILED);
            return;
        }
        listener.repick(info.client(), Set.copyOf(tried), client.eventLoop(), next -> {
            if (closing()) {
                return;
            }
            if (next == null) {
                abort(Outcome.CONNECT_FAILED); // no other candidate left
            } else {
                listener.counters().connectRetries.increment();
                connect(next);
            }
        });
    }

    private void startRelay() {
        long idleMillis = listener.spec().options().idleTimeout().toMillis();
        if (listener.spliceEnabled() && up.pristine() && SpliceRelay.supports(client, upstream)) {
            splice = new SpliceRelay(this, client, upstream, idleMillis);
            splice.start();
            return;
        }
        if (idleMillis > 0) {
            client.pipeline().addFirst("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
        }
        down = new CopyPipe(this, upstream, client, false);
        up.attach(upstream);
        down.start();
    }

    // ---- events from the two SideHandlers ----

    void read(boolean fromClient, ByteBuf buf) {
        if (closing()) {
            buf.release();
        } else if (splice != null) {
            splice.stray(fromClient, buf);
        } else if (fromClient) {
            up.onRead(buf);
        } else if (down != null) {
            down.onRead(buf);
        } else {
            buf.release(); // cannot happen: the endpoint is not read before the relay starts
        }
    }

    void inputShutdown(boolean fromClient) {
        if (closing()) {
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

    void inactive(boolean fromClient) {
        if (fromClient || closing()) {
            return; // the client's close is handled by clientClosed(); ours were decided already
        }
        // The endpoint's socket went away before both directions ended: deliver what is queued, then close.
        outcome = errorOutcome();
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> client.close());
    }

    void exception(boolean fromClient, Throwable cause) {
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

    void directionDone() {
        if (++directionsDone == 2 && !closing()) {
            closeNow(Outcome.COMPLETED);
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
        try {
            client.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException ignored) {
            // a plain close is still a close
        }
        client.close();
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

    /** A failure while the forwarder shuts down is the shutdown's doing. */
    private Outcome errorOutcome() {
        return listener.shuttingDown() ? Outcome.CLOSED : Outcome.ERROR;
    }

    private void clientClosed() {
        Channel u = upstream;
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
        up.release();
        if (down != null) {
            down.release();
        }
        if (splice != null) {
            splice.stop();
        }
        ConnectionSummary summary = new ConnectionSummary(attempts == 0 ? Optional.empty() : Optional.of(endpoint),
                outcome, bytesFromClient, bytesToClient, attempts, Duration.ofNanos(System.nanoTime() - startNanos));
        listener.context().closed(info, summary);
        listener.connectionClosed(); // last: it may complete terminated(), after which all is reported
    }
}
