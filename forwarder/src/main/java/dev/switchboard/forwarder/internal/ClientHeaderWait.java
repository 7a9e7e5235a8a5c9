package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection admitted without an endpoint, on a listener that accepts PROXY headers: reads until
 * the first bytes say who the client is ({@link ProxyHeaderReader}), or, after the connect timeout,
 * serves a silent client as itself; then picks for that client ({@code StreamListenerBase.pickFor}:
 * at once with a stateless picker, else on the listener's loop). Shared by the TCP and HTTP
 * connections. Confined to the client channel's loop.
 */
public final class ClientHeaderWait {
  private static final Logger log = LoggerFactory.getLogger(ClientHeaderWait.class);

  private final StreamListenerBase listener;
  private final Channel client;
  private final BooleanSupplier closing;
  private final Consumer<ConnectionInfo> known;
  private final Consumer<Endpoint> picked;
  private final Consumer<Outcome> failed;
  private ConnectionInfo info;

  /** Non-null while waiting for the first bytes. */
  private ScheduledFuture<?> timeout;

  /**
   * @param closing whether the connection is closing (then nothing more is done)
   * @param known the connection with the client the header named (or as it was)
   * @param picked the endpoint picked for that client
   * @param failed NO_ENDPOINT (none ready: reset the client) or ERROR (a header that never
   *     completed)
   */
  public ClientHeaderWait(
      StreamListenerBase listener,
      Channel client,
      ConnectionInfo info,
      BooleanSupplier closing,
      Consumer<ConnectionInfo> known,
      Consumer<Endpoint> picked,
      Consumer<Outcome> failed) {
    this.listener = listener;
    this.client = client;
    this.info = info;
    this.closing = closing;
    this.known = known;
    this.picked = picked;
    this.failed = failed;
  }

  /** The client channel is active: read its first bytes. */
  public void start() {
    client.read();
    timeout =
        client
            .eventLoop()
            .schedule(
                this::timedOut,
                listener.spec().options().connectTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
  }

  /** The reader's message: the client is known; pick for it. */
  public void client(ProxyHeaderReader.Client who) {
    if (timeout == null || closing.getAsBoolean()) {
      return; // not waiting (a second message can only be a bug upstream of us)
    }
    cancel();
    if (who.fromHeader()) {
      info =
          new ConnectionInfo(
              info.id(),
              info.listener(),
              info.protocol(),
              who.address(),
              info.listenerAddress(),
              info.openedAt());
    }
    known.accept(info);
    listener.pickFor(
        info.client(),
        client.eventLoop(),
        endpoint -> {
          if (closing.getAsBoolean()) {
            return;
          }
          if (endpoint == null) {
            failed.accept(Outcome.NO_ENDPOINT);
          } else {
            picked.accept(endpoint);
          }
        });
  }

  /** The connection ended first. */
  public void cancel() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }

  private void timedOut() {
    if (timeout == null || closing.getAsBoolean()) {
      return;
    }
    if (!ProxyHeaderReader.giveUp(
        client.pipeline())) { // else it serves the client as itself, via client()
      log.debug("{}: connection {}: incomplete PROXY header", info.listener(), info.id());
      timeout = null;
      failed.accept(Outcome.ERROR);
    }
  }
}
