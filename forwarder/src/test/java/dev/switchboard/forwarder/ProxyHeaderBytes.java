package dev.switchboard.forwarder;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/** PROXY protocol headers as a load balancer in front sends them, for tests. */
public final class ProxyHeaderBytes {
  private ProxyHeaderBytes() {}

  /** A v2 header for a TCP over IPv4 connection (PROXY command). */
  public static byte[] v2(String source, int sourcePort, String destination, int destinationPort)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(28);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    b.put(InetAddress.getByName(source).getAddress())
        .put(InetAddress.getByName(destination).getAddress());
    b.putShort((short) sourcePort).putShort((short) destinationPort);
    return b.array();
  }
}
