package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.PooledListenerBase;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * A TCP listener in HTTP/2 mode (h2c with prior knowledge: gRPC's cleartext transport). Accepting
 * works as for plain TCP (connection limit, and the first pick on the listener's loop, where the
 * picker lives); each accepted connection is then served by an {@link H2Connection}, which
 * terminates HTTP/2 and relays each stream as an {@link H2Call} to an endpoint picked for that
 * stream. Endpoint connections are HTTP/2 too, multiplexed, in an {@link H2Pool} per event loop
 * that this listener owns: it drains (GOAWAY) connections to endpoints that leave the set, and
 * closes them all when it stops.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#h2()}
 * set.
 */
public final class H2Listener extends PooledListenerBase<H2Pool> {

  public H2Listener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial, false);
    if (spec.h2() == null) {
      throw new IllegalArgumentException(
          "spec.h2: null (expected: h2 options for " + spec.describe() + ")");
    }
  }

  @Override
  protected H2Pool newPool(EventLoop loop, boolean forOneClient) {
    return new H2Pool(this, loop);
  }

  @Override
  protected void admitted(Channel child, ConnectionInfo info, Endpoint first) {
    new H2Connection(this, child, info, first).install();
    serve(child);
  }
}
