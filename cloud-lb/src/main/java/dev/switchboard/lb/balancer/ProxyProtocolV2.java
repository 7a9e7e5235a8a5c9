package dev.switchboard.lb.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * The PROXY protocol version 2 header (HAProxy's proxy-protocol.txt, section 2.2) for a TCP
 * connection: the node learns the real client address although the connection comes from the load
 * balancer. Binary, so that a receiver can tell it from any payload by its 12-byte signature.
 */
public final class ProxyProtocolV2 {
  /** {@code \r\n\r\n\0\r\nQUIT\n}. */
  static final byte[] SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  /** Version 2, command PROXY. */
  static final int VERSION_COMMAND = 0x21;

  /** AF_INET / AF_INET6 in the high nibble, STREAM in the low one. */
  static final int TCP_OVER_IPV4 = 0x11;

  static final int TCP_OVER_IPV6 = 0x21;

  private ProxyProtocolV2() {}

  /**
   * The header for a TCP connection from {@code source} (the client) to {@code destination} (the
   * address the client reached: the service's external IP and port). When the families differ, both
   * are written as IPv6, with the IPv4 one IPv4-mapped.
   */
  public static ByteBuf encode(
      ByteBufAllocator alloc, InetSocketAddress source, InetSocketAddress destination) {
    byte[] src = source.getAddress().getAddress();
    byte[] dst = destination.getAddress().getAddress();
    boolean ipv4 =
        source.getAddress() instanceof Inet4Address
            && destination.getAddress() instanceof Inet4Address;
    if (!ipv4) {
      src = ipv6(source.getAddress());
      dst = ipv6(destination.getAddress());
    }
    int addressLength = 2 * src.length + 4;
    ByteBuf buf = alloc.buffer(16 + addressLength);
    buf.writeBytes(SIGNATURE);
    buf.writeByte(VERSION_COMMAND);
    buf.writeByte(ipv4 ? TCP_OVER_IPV4 : TCP_OVER_IPV6);
    buf.writeShort(addressLength);
    buf.writeBytes(src);
    buf.writeBytes(dst);
    buf.writeShort(source.getPort());
    buf.writeShort(destination.getPort());
    return buf;
  }

  private static byte[] ipv6(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length == 16) {
      return a;
    }
    byte[] mapped =
        Arrays.copyOf(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff}, 16);
    System.arraycopy(a, 0, mapped, 12, 4);
    return mapped;
  }
}
