package dev.switchboard.forwarder.tcp;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.internal.ConnectionLifecycle;
import dev.switchboard.forwarder.internal.StreamSockets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.SocketChannelConfig;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded TCP connection: once its {@link ConnectionLifecycle} has the endpoint connected,
 * relays bytes by copy ({@link CopyPipe} per direction) or splice ({@link SpliceRelay}), passes
 * half-closes through, and keeps the copy-mode idle timer. Connecting, retrying, closing and
 * reporting are the lifecycle's.
 *
 * <p>Concurrency: confined to the client channel's event loop, like the lifecycle; the endpoint
 * channel is registered on the same loop (which splice requires anyway).
 */
final class TcpConnection extends ConnectionLifecycle<TcpListener> {
  private static final Logger log = LoggerFactory.getLogger(TcpConnection.class);

  private final CopyPipe up;

  private CopyPipe down;
  private SpliceRelay splice;
  private int directionsDone;

  /**
   * Copy mode, after our FIN to the client: its end of stream closes its channel (see
   * directionDone).
   */
  private boolean clientEofCloses;

  TcpConnection(TcpListener listener, Channel client, ConnectionInfo info, Endpoint first) {
    super(listener, client, info, first);
    this.up = new CopyPipe(this, client, null, true);
  }

  ChannelHandler clientHandler() {
    return new SideHandler(this, true);
  }

  void clientActive() {
    start();
    if (phase() == Phase.CONNECTING && !listener.spliceEnabled()) {
      // Copy mode reads the client's first bytes while the endpoint connects (one buffer, held
      // by the pipe until the endpoint is connected; they go to exactly one endpoint, so a retry
      // replays nothing). The request then leaves in the same event loop turn as the connect
      // completes, instead of one turn later. Splice mode must not read: it wants a pristine
      // socket.
      // (After a PROXY header the reader already read: what followed the header is in the pipe.)
      client.read();
    }
  }

  @Override
  protected ChannelFuture openEndpoint(InetSocketAddress address) {
    Channel ch = listener.newEndpointChannel(address);
    ch.pipeline().addLast(new SideHandler(this, false));
    // On the client's loop, so registration completes at once and the connect starts right away.
    return StreamSockets.connect(client.eventLoop(), ch, address);
  }

  @Override
  protected void forward(Channel upstream) {
    long idleMillis = listener.spec().options().idleTimeout().toMillis();
    if (listener.spliceEnabled() && up.pristine() && SpliceRelay.supports(client, upstream)) {
      splice = new SpliceRelay(this, client, upstream, idleMillis);
      splice.start();
      return;
    }
    // Copy mode: every byte passes through read() and the pipes, which touch the timer.
    startIdleTimer();
    if (down == null) {
      down = new CopyPipe(this, upstream, client, false);
    }
    up.attach(upstream);
    down.start();
  }

  /** Copy mode: a write completed (reads are seen in {@link #read}). */
  void written() {
    touchIdleTimer();
  }

  // ---- events from the two SideHandlers; an endpoint channel that is not upstream() is a failed
  // attempt's ----

  void read(boolean fromClient, Channel ch, ByteBuf buf) {
    // Activity for the idle timeout is counted where the bytes are (count(), from the pipes).
    if (closing() || (!fromClient && stale(ch))) {
      buf.release();
    } else if (splice != null) {
      splice.stray(fromClient, buf);
    } else if (fromClient) {
      up.onRead(buf);
    } else {
      if (down == null) { // not seen: the connect completes before the endpoint's first read
        down = new CopyPipe(this, ch, client, false);
      }
      down.onRead(buf);
    }
  }

  void inputShutdown(boolean fromClient, Channel ch) {
    if (closing() || (!fromClient && stale(ch))) {
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
    if (fromClient || closing() || stale(ch)) {
      return; // the client's close is handled by the lifecycle; ours were decided already
    }
    // The endpoint's socket went away before both directions ended: deliver what is queued, then
    // close.
    endpointClosed(errorOutcome());
  }

  void exception(boolean fromClient, Channel ch, Throwable cause) {
    if (!fromClient && stale(ch)) {
      return; // a failed attempt's: handled when its connect failed
    }
    if (!closing()) {
      log.debug(
          "{}: {} side of connection {} failed: {}",
          info().listener(),
          fromClient ? "client" : "endpoint",
          info().id(),
          cause.toString());
    }
    failed(cause);
  }

  // ---- called by the relays ----

  void count(boolean fromClient, long n) {
    if (fromClient) {
      countFromClient(n);
    } else {
      countToClient(n);
    }
  }

  /**
   * True when one direction is complete and the other is about to be: the connection then closes.
   */
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
      // already in TIME_WAIT) and costs a stack-traced exception per connection.
      // clientClosedAsEndOfStream() then finishes the client-to-endpoint direction.
      ((SocketChannelConfig) client.config()).setAllowHalfClosure(false);
      clientEofCloses = true;
    }
  }

  // ---- the lifecycle's hooks ----

  @Override
  protected boolean clientClosedAsEndOfStream() {
    if (!clientEofCloses) {
      return false;
    }
    // Its end of stream (an error or a close of ours would have decided the outcome first): what it
    // sent before is on its way to the endpoint; pass the FIN on after it.
    up.onEof();
    return true;
  }

  @Override
  protected void beforeSocketsClose() {
    if (splice != null) {
      splice.sample(); // last chance to read TCP_INFO
    }
  }

  @Override
  protected void released() {
    up.release();
    if (down != null) {
      down.release();
    }
    if (splice != null) {
      splice.stop();
    }
  }
}
