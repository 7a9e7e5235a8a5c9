package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens one endpoint connection on behalf of one client: connects the endpoint it is given; when
 * that connect is refused or times out, connects another one the listener picks (at most {@code
 * maxConnectAttempts} distinct endpoints); then writes the listener's preamble. It never sends a
 * byte of the client's, so a retry cannot replay anything: that stays the caller's rule.
 *
 * <p>It is the only way the forwarder connects to an endpoint for forwarding (Envoy's upstream
 * connection pool callbacks play this part there). Per-connection modes (TCP, HTTP/1.1) dial once
 * per client connection through {@link ConnectionLifecycle}; a pool of endpoint connections for
 * per-request modes (HTTP/2) would dial once per pooled connection.
 *
 * <p>Confined to {@link #loop} (the client's): every call and every answer happens there; the
 * re-pick after a failure runs on the listener's loop and answers back here.
 */
public final class EndpointDialer {
  private static final Logger log = LoggerFactory.getLogger(EndpointDialer.class);

  /**
   * How a mode opens a socket: a new channel with its pipeline, registered on the dialer's loop,
   * connecting.
   */
  @FunctionalInterface
  public interface Opener {
    /** May throw (socket(2) failed): that counts as a failed attempt. */
    ChannelFuture open(InetSocketAddress endpoint);
  }

  /** The answer, on the dialer's loop: exactly one call, none after {@link #cancel()}. */
  public interface Result {
    /** Connected, and the preamble (if any) is written: the mode may forward now. */
    void ready(Channel endpoint);

    /**
     * No endpoint connection, and nothing was sent on the client's behalf: CONNECT_FAILED (attempts
     * used up, or no candidate left) or ERROR / CLOSED (the preamble could not be built or
     * written).
     */
    void failed(Outcome why);
  }

  private final StreamListenerBase listener;
  private final EventLoop loop;
  private final Opener opener;
  private final Result result;

  /** Confined to {@link #loop}, as is every field below. */
  private ConnectionInfo info;

  private Endpoint first;

  /** Endpoints tried so far; null until a second attempt (the first is {@link #first}). */
  private Set<InetSocketAddress> tried;

  /** The endpoint of the current (or last) attempt; null before the first. */
  private Endpoint endpoint;

  private int attempts;

  /**
   * The current attempt's channel, then the ready one; null while re-picking and after a failure.
   */
  private Channel channel;

  private boolean cancelled;

  public EndpointDialer(StreamListenerBase listener, EventLoop loop, Opener opener, Result result) {
    this.listener = listener;
    this.loop = loop;
    this.opener = opener;
    this.result = result;
  }

  /** Starts with {@code first}; {@code info} names the client (for re-picks and the preamble). */
  public void dial(ConnectionInfo info, Endpoint first) {
    this.info = info;
    this.first = first;
    attempt(first);
  }

  /**
   * The caller gave up (its client is closing): no answer will come; a late connection is closed.
   */
  public void cancel() {
    cancelled = true;
  }

  /** The endpoint of the current or last attempt; null before the first. */
  public Endpoint endpoint() {
    return endpoint;
  }

  public int attempts() {
    return attempts;
  }

  /**
   * The current attempt's channel, then the ready one: events from any other endpoint channel (an
   * attempt that failed) are stale. Null while re-picking and after a failure.
   */
  public Channel channel() {
    return channel;
  }

  private void attempt(Endpoint target) {
    endpoint = target;
    attempts++;
    if (attempts > 1) { // the set of tried endpoints is only needed for a re-pick
      if (tried == null) {
        tried = new HashSet<>(4);
        tried.add(first.socketAddress());
      }
      tried.add(target.socketAddress());
    }
    ChannelFuture connecting;
    try {
      connecting = opener.open(target.socketAddress());
    } catch (RuntimeException e) { // socket(2) failed, e.g. out of file descriptors
      attemptFailed(e);
      return;
    }
    channel = connecting.channel();
    if (connecting.isDone()) {
      connected(connecting);
    } else {
      connecting.addListener((ChannelFuture f) -> connected(f));
    }
  }

  private void connected(ChannelFuture f) {
    if (cancelled) {
      f.channel().close();
      return;
    }
    if (!f.isSuccess()) {
      f.channel().close();
      attemptFailed(f.cause());
      return;
    }
    sendPreamble(f.channel());
  }

  private void attemptFailed(Throwable cause) {
    channel = null;
    Set<InetSocketAddress> excluded =
        tried == null ? Set.of(endpoint.socketAddress()) : Set.copyOf(tried);
    listener.afterConnectFailure(
        info,
        endpoint,
        attempts,
        cause,
        excluded,
        loop,
        next -> {
          if (cancelled) {
            return;
          }
          if (next == null) {
            result.failed(Outcome.CONNECT_FAILED); // attempts used up, or no other candidate left
          } else {
            attempt(next);
          }
        });
  }

  /**
   * The preamble goes in at the head of the pipeline, below any codec the mode added, so it leaves
   * as raw bytes before anything else. Forwarding waits for its write: a small write to a fresh
   * socket completes at once, so that costs nothing, and a failure is known before any client byte
   * follows.
   */
  private void sendPreamble(Channel ch) {
    ByteBuf preamble;
    try {
      preamble =
          listener.spec().options().preamble().preamble(ch.alloc(), info, endpoint.socketAddress());
    } catch (RuntimeException e) {
      // The caller's bug, not the network's nor the shutdown's: ERROR even while shutting down.
      log.warn("{}: preamble for connection {} failed", info.listener(), info.id(), e);
      giveUp(ch, Outcome.ERROR);
      return;
    }
    if (preamble == null) {
      result.ready(ch);
      return;
    }
    ChannelHandlerContext head = ch.pipeline().firstContext();
    ChannelFuture written =
        head == null ? ch.writeAndFlush(preamble) : head.writeAndFlush(preamble);
    if (written.isDone()) {
      preambleWritten(written);
    } else {
      written.addListener((ChannelFuture f) -> preambleWritten(f));
    }
  }

  private void preambleWritten(ChannelFuture f) {
    if (cancelled) {
      return; // the caller closes what it was given as channel()
    }
    if (f.isSuccess()) {
      result.ready(f.channel());
    } else {
      log.debug(
          "{}: connection {}: preamble to {} not written: {}",
          info.listener(),
          info.id(),
          endpoint,
          f.cause().toString());
      giveUp(f.channel(), listener.errorOutcome());
    }
  }

  private void giveUp(Channel ch, Outcome why) {
    channel = null;
    ch.close();
    result.failed(why);
  }
}
