package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Outcome;
import io.netty.handler.codec.http2.Http2Error;

/**
 * Gets an {@link H2Call} its stream to an endpoint: the picked endpoint's pool leases a place on a
 * connection, the call opens its stream there, and a connection that went away before that makes it
 * pick again (up to three picks; nothing of the call was sent yet). Failures are answered by the
 * call. Confined to the client connection's event loop.
 */
final class H2CallStream implements H2Upstream.Waiter {
  private final H2Connection owner;
  private final H2Call call;

  private Endpoint picked;
  private int picks;

  H2CallStream(H2Connection owner, H2Call call) {
    this.owner = owner;
    this.call = call;
  }

  /** The endpoint for the call (null: none is ready). */
  void picked(Endpoint endpoint) {
    if (call.over()) {
      return;
    }
    if (endpoint == null) {
      call.refuse(503, "no endpoint", false);
      return;
    }
    picks++;
    picked = endpoint;
    owner.pool().acquire(owner.clientInfo(), endpoint, this);
  }

  @Override
  public void leased(H2Upstream upstream) {
    if (call.over()) {
      upstream.release();
      return;
    }
    owner.used(upstream.endpoint(), upstream.dialAttempts());
    picked = upstream.endpoint();
    if (!upstream.isActive()) {
      upstream.release();
      notOpened();
      return;
    }
    call.streamOpened(upstream, picked);
  }

  @Override
  public void failed(Outcome why, Endpoint lastTried, int attempts) {
    owner.used(lastTried, attempts);
    if (call.over()) {
      return;
    }
    if (why == Outcome.REJECTED) {
      call.resetClient(Http2Error.REFUSED_STREAM, "every endpoint connection is full");
    } else {
      call.refuse(502, "no endpoint connection", false);
    }
  }

  /** The pooled connection went away between lease and open: nothing was sent, pick again. */
  private void notOpened() {
    if (call.over()) {
      return;
    }
    if (picks >= 3) {
      call.refuse(502, "no endpoint stream", false);
    } else {
      owner.repick(call, picked);
    }
  }
}
