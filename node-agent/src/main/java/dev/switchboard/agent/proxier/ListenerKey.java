package dev.switchboard.agent.proxier;

import dev.switchboard.forwarder.Protocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** A socket the agent binds: protocol, address and port. At most one listener per key. */
public record ListenerKey(Protocol protocol, InetAddress address, int port) {

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  @Override
  public String toString() {
    return protocol + " " + address.getHostAddress() + ":" + port;
  }
}
