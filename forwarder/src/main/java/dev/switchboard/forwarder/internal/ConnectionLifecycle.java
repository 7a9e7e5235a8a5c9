package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one accepted client connection, whatever the mode forwards over it: who the client is
 * (a PROXY header, when the listener accepts one), the endpoint connection (pick, connect, retry,
 * preamble: {@link EndpointDialer}), why it ends (the first reason wins), closing both sides, and
 * reporting it exactly once. Subclasses only forward: {@code TcpConnection} relays bytes, {@code
 * HttpConnection} relays HTTP/1.1 exchanges.
 *
 * <pre>
 *   WAITING_FOR_CLIENT ─(header read, endpoint picked)─┐
 *   (admitted with an endpoint) ───────────────────────┴─► CONNECTING ─(ready)─► FORWARDING
 *   any phase ─(an outcome is decided)─► CLOSING ─(client channel closed, endpoint channel closed)─► FINISHED
 * </pre>
 *
 * <p>One rule for every way the endpoint side can fail before forwarding began (no endpoint, every
 * connect failed, the preamble could not be built or written): the client gets a reset, not an end
 * of stream, since nothing of an endpoint's reached it. After that, an error closes both sides and
 * an endpoint that closes has what it sent delivered first.
 *
 * <p>Per-request modes (HTTP/2, issue 14) plug in at {@link #open}: instead of dialing one endpoint
 * they start serving the client's streams, pick per request ({@link StreamListenerBase#pickFor})
 * and take connections from a pool whose connections are each opened by an {@link EndpointDialer}.
 * Those connections are the pool's, not this connection's: {@link #upstream()} stays null, closing
 * and reporting concern the client, and {@link #released()} ends its streams.
 *
 * <p>Concurrency: every field is confined to the client channel's event loop; endpoint channels of
 * per-connection modes are registered on that loop too. Only the construction happens elsewhere (on
 * the listener's loop, before the client channel is registered, which publishes it).
 */
public abstract class ConnectionLifecycle<L extends StreamListenerBase> {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLifecycle.class);

  /** Where a connection is; only ever moves forward. */
  public enum Phase {
    WAITING_FOR_CLIENT,
    CONNECTING,
    FORWARDING,
    CLOSING,
    FINISHED
  }

  protected final L listener;
  protected final Channel client;
  private final long startNanos = System.nanoTime();

  /** Replaced once, when a PROXY header names the client. */
  private ConnectionInfo info;

  /** Picked at accept; null when the pick waits for a PROXY header. */
  private final Endpoint first;

  private Phase phase = Phase.WAITING_FOR_CLIENT;

  /** Why it ends; decided once (the first reason wins). */
  private Outcome outcome;

  /** While waiting for a PROXY header (or its absence); null on other listeners. */
  private ClientHeaderWait headerWait;

  /** Per-connection modes' endpoint connection; null until {@link #open} dials. */
  private EndpointDialer dialer;

  private long bytesFromClient;
  private long bytesToClient;

  /** The idle timeout, once a mode started it; touched by every byte counted either way. */
  private IdleTimer idleTimer;

  protected ConnectionLifecycle(L listener, Channel client, ConnectionInfo info, Endpoint first) {
    this.listener = listener;
    this.client = client;
    this.info = info;
    this.first = first;
    client.closeFuture().addListener(f -> clientClosed());
  }

  // ---- what modes provide ----

  /**
   * Opens a socket to {@code endpoint} for {@link EndpointDialer}: a new channel whose pipeline
   * ends in this mode's endpoint-side handler, registered on the client's loop, connecting.
   */
  protected abstract ChannelFuture openEndpoint(InetSocketAddress endpoint);

  /** The endpoint is connected and its preamble written: start forwarding (phase FORWARDING). */
  protected abstract void forward(Channel endpoint);

  /** Called once, when the connection is finished: release what is held, cancel timers. */
  protected abstract void released();

  /** The outcome of a connection whose sockets closed before any reason was decided. */
  protected Outcome outcomeWhenUndecided() {
    return errorOutcome();
  }

  /**
   * The endpoint and connect attempts reported when the connection finishes: the dialer's by
   * default. Per-request modes report the last endpoint they used (attempts 0 when none was).
   */
  protected Endpoint reportedEndpoint() {
    return endpoint();
  }

  protected int reportedAttempts() {
    return dialer == null ? 0 : dialer.attempts();
  }

  /** The last moment before the sockets close: read what only an open socket tells (TCP_INFO). */
  protected void beforeSocketsClose() {}

  /**
   * The client's socket closed while forwarding with no reason decided. Return true when that is
   * the end of its stream (after our FIN, see {@code TcpConnection}) and was passed on: the
   * connection then finishes when the endpoint closes. False: the endpoint is closed now.
   */
  protected boolean clientClosedAsEndOfStream() {
    return false;
  }

  // ---- the phases ----

  /** The client channel is active. */
  public final void start() {
    if (first != null) {
      open(first);
      return;
    }
    // The listener accepts PROXY headers: the pick waits for what the first bytes say.
    headerWait =
        new ClientHeaderWait(
            listener,
            client,
            info,
            this::closing,
            known -> info = known,
            this::open,
            why -> {
              if (why == Outcome.NO_ENDPOINT) {
                abort(why);
              } else {
                closeNow(why); // an incomplete header: the client's doing, closed as before
              }
            });
    headerWait.start();
  }

  /** The first bytes told who the client is (a PROXY header, or none). */
  public final void clientIdentified(ProxyHeaderReader.Client who) {
    if (headerWait != null) {
      headerWait.client(who);
    }
  }

  /**
   * The client is known and {@code endpoint} picked for it. Per-connection modes dial it; a
   * per-request mode overrides this to serve the client instead, calling {@link #forwarding()}
   * first (see the class comment).
   */
  protected void open(Endpoint endpoint) {
    phase = Phase.CONNECTING;
    dialer =
        new EndpointDialer(
            listener,
            client.eventLoop(),
            this::openEndpoint,
            new EndpointDialer.Result() {
              @Override
              public void ready(Channel ch) {
                forwarding();
                forward(ch);
              }

              @Override
              public void failed(Outcome why) {
                abort(why);
              }
            });
    dialer.dial(info, endpoint);
  }

  /**
   * From now on the client's bytes are forwarded (no-op once closing: phases only move forward).
   */
  protected final void forwarding() {
    if (!closing()) {
      phase = Phase.FORWARDING;
    }
  }

  public final Phase phase() {
    return phase;
  }

  /** An outcome is decided: nothing new starts, events still arriving are dropped. */
  public final boolean closing() {
    return phase.compareTo(Phase.CLOSING) >= 0;
  }

  protected final ConnectionInfo info() {
    return info;
  }

  /** The endpoint of the current (or last) connect attempt; null before any. */
  protected final Endpoint endpoint() {
    return dialer == null ? null : dialer.endpoint();
  }

  /** The endpoint channel: the attempt in progress, then the connected one; null while none. */
  protected final Channel upstream() {
    return dialer == null ? null : dialer.channel();
  }

  /**
   * Events from an endpoint channel that is not {@link #upstream()} (an attempt that failed) are
   * stale.
   */
  protected final boolean stale(Channel endpointChannel) {
    return endpointChannel != upstream();
  }

  protected final void countFromClient(long n) {
    bytesFromClient += n;
    listener.counters().bytesIn.add(n);
    touchIdleTimer();
  }

  protected final void countToClient(long n) {
    bytesToClient += n;
    listener.counters().bytesOut.add(n);
    touchIdleTimer();
  }

  /**
   * Starts the listener's idle timeout (nothing when it has none): the connection ends as {@link
   * #idle()} once no byte was counted either way, nor {@link #touchIdleTimer() touched}, for that
   * long. Cancelled when the connection finishes.
   */
  protected final void startIdleTimer() {
    if (idleTimer != null) {
      idleTimer.cancel();
    }
    idleTimer =
        IdleTimer.startOrNull(
            client.eventLoop(), listener.spec().options().idleTimeout(), this::idle);
  }

  /** Activity the byte counts do not see (a mode that counts elsewhere). */
  protected final void touchIdleTimer() {
    if (idleTimer != null) {
      idleTimer.touch();
    }
  }

  /** A failure while the forwarder shuts down is the shutdown's doing. */
  protected final Outcome errorOutcome() {
    return listener.errorOutcome();
  }

  // ---- ending ----

  private boolean decide(Outcome why) {
    if (closing()) {
      return false;
    }
    outcome = why;
    phase = Phase.CLOSING;
    if (headerWait != null) {
      headerWait.cancel();
    }
    if (dialer != null) {
      dialer.cancel();
    }
    return true;
  }

  /** An I/O error on either side: both close. Ignored once closing. */
  public final void failed(Throwable cause) {
    if (!closing()) {
      log.debug(
          "{}: connection {} to {} failed: {}",
          info.listener(),
          info.id(),
          endpoint(),
          cause.toString());
      closeNow(errorOutcome());
    }
  }

  /** Nothing moved for the idle timeout. */
  public final void idle() {
    closeNow(Outcome.IDLE_TIMEOUT);
  }

  /** Ends it for {@code why} (unless already ending): both sides close now. */
  protected final void closeNow(Outcome why) {
    if (!decide(why)) {
      return;
    }
    beforeSocketsClose();
    client.close();
    Channel u = upstream();
    if (u != null) {
      u.close();
    }
  }

  /**
   * Ends it for {@code why}, before anything was forwarded: the client sees a refusal, not an end
   * of stream.
   */
  protected final void abort(Outcome why) {
    if (decide(why)) {
      StreamListenerBase.reset(client);
    }
  }

  /**
   * The endpoint's socket went away: the client gets what is queued for it, then its socket closes.
   */
  protected final void endpointClosed(Outcome why) {
    closeAfterWrites(why);
  }

  /**
   * Ends it for {@code why} (unless already ending): the client gets what is queued for it, then
   * its socket closes.
   */
  protected final void closeAfterWrites(Outcome why) {
    if (decide(why)) {
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> client.close());
    }
  }

  private void clientClosed() {
    Channel u = upstream();
    boolean endpointOpen = u != null && u.isOpen();
    if (endpointOpen
        && !closing()
        && !listener.context().shuttingDown()
        && clientClosedAsEndOfStream()) {
      u.closeFuture().addListener(f -> finish());
      return;
    }
    if (endpointOpen) {
      beforeSocketsClose();
      u.close().addListener(f -> finish());
    } else {
      finish();
    }
  }

  private void finish() {
    if (phase == Phase.FINISHED) {
      return;
    }
    if (outcome == null) {
      decide(outcomeWhenUndecided());
    }
    phase = Phase.FINISHED;
    if (idleTimer != null) {
      idleTimer.cancel();
    }
    released();
    listener.connectionFinished(
        info,
        reportedEndpoint(),
        reportedAttempts(),
        outcome,
        bytesFromClient,
        bytesToClient,
        startNanos);
  }
}
