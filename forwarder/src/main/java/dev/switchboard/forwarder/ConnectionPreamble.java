package dev.switchboard.forwarder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetSocketAddress;

/**
 * Bytes a TCP listener sends to the endpoint before any byte of the client's, once the endpoint is
 * connected: a PROXY protocol header, so that the endpoint learns who the client was. The forwarder
 * only writes what it is given; the format is the caller's.
 *
 * <p>Called on the connection's event loop, once per connection (after a retry, for the endpoint
 * that finally answered): must be quick and must not block. An exception (a bug of the caller's)
 * ends the connection as ERROR with a reset to the client, as every failure before forwarding does;
 * the endpoint is closed having received nothing. UDP listeners do not use it.
 */
@FunctionalInterface
public interface ConnectionPreamble {

  ConnectionPreamble NONE = (alloc, connection, endpoint) -> null;

  /**
   * @param alloc the allocator to build the buffer with
   * @param connection the client, and the listener address it reached
   * @param endpoint the endpoint connected to
   * @return the bytes to send first (ownership passes to the forwarder), or null for none
   */
  ByteBuf preamble(ByteBufAllocator alloc, ConnectionInfo connection, InetSocketAddress endpoint);
}
