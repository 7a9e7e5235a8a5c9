package dev.switchboard.agent.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A pod's UDP server: answers each datagram with {@code name:payload}. */
final class UdpBackend implements AutoCloseable {
  final String name;
  private final DatagramSocket socket;
  private final Thread thread;

  UdpBackend(String name, String ip) {
    this.name = name;
    try {
      socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::loop, "udp-backend-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void loop() {
    byte[] buf = new byte[2048];
    while (!socket.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        byte[] reply =
            (name + ":" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    socket.close();
  }
}
