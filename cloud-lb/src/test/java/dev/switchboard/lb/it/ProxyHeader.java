package dev.switchboard.lb.it;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * A PROXY protocol v2 parser, written from HAProxy's proxy-protocol.txt independently of the
 * encoder under test: signature, version/command, family/transport, length, then the addresses.
 */
record ProxyHeader(String source, String destination) {
  private static final byte[] SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 'Q', 'U', 'I', 'T', 0x0A
  };

  static ProxyHeader read(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    byte[] sig = new byte[12];
    in.readFully(sig);
    if (!Arrays.equals(sig, SIGNATURE)) {
      throw new IOException("not a PROXY v2 signature: " + Arrays.toString(sig));
    }
    int versionCommand = in.readUnsignedByte();
    if (versionCommand != 0x21) {
      throw new IOException(
          "version/command: " + Integer.toHexString(versionCommand) + " (expected: 21)");
    }
    int family = in.readUnsignedByte();
    int length = in.readUnsignedShort();
    byte[] rest = new byte[length];
    in.readFully(rest);
    int addressLength =
        switch (family) {
          case 0x11 -> 4; // TCP over IPv4
          case 0x21 -> 16; // TCP over IPv6
          default -> throw new IOException("family/transport: " + Integer.toHexString(family));
        };
    if (length < 2 * addressLength + 4) {
      throw new IOException(
          "length " + length + " too short for family " + Integer.toHexString(family));
    }
    InetAddress src = InetAddress.getByAddress(Arrays.copyOfRange(rest, 0, addressLength));
    InetAddress dst =
        InetAddress.getByAddress(Arrays.copyOfRange(rest, addressLength, 2 * addressLength));
    int srcPort = ((rest[2 * addressLength] & 0xff) << 8) | (rest[2 * addressLength + 1] & 0xff);
    int dstPort =
        ((rest[2 * addressLength + 2] & 0xff) << 8) | (rest[2 * addressLength + 3] & 0xff);
    return new ProxyHeader(
        src.getHostAddress() + ":" + srcPort, dst.getHostAddress() + ":" + dstPort);
  }
}
