package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.internal.ForwarderContext;
import dev.switchboard.forwarder.internal.PooledListenerBase;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * A TCP listener in HTTP/1.1 mode. Accepting works as for plain TCP (connection limit and endpoint
 * pick on the listener's loop, where the picker lives); each accepted connection is then forwarded
 * by an {@link HttpConnection}, which parses both directions so that every request passes the
 * {@link HttpExchangeObserver}, and picks an endpoint per request. Endpoint connections are kept
 * between requests in an {@link EndpointPool} per event loop, which this listener owns: it closes
 * their idle connections to endpoints that leave the set, and all of them when it stops. There is
 * no splice in this mode: bytes must be seen to be parsed.
 *
 * <p>Internal: obtain listeners from {@code Forwarder.addListener} with {@link ListenerSpec#http()}
 * set.
 */
public final class HttpListener extends PooledListenerBase<EndpointPool> {

  public HttpListener(ListenerSpec spec, ForwarderContext ctx, ServiceTarget initial) {
    super(spec, ctx, initial, true);
    if (spec.http() == null) {
      throw new IllegalArgumentException(
          "spec.http: null (expected: http options for " + spec.describe() + ")");
    }
  }

  @Override
  protected EndpointPool newPool(EventLoop loop, boolean forOneClient) {
    int idle = spec.http().maxIdlePerEndpoint();
    return new EndpointPool(this, loop, forOneClient ? Math.min(1, idle) : idle);
  }

  @Override
  protected void admitted(Channel child, ConnectionInfo info, Endpoint first) {
    new HttpConnection(this, child, info, first).install();
    serve(child);
  }
}
