package dev.switchboard.lb.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Test clients on chosen 127.x source addresses: the load balancer hashes and filters by them. */
final class Clients {
  private Clients() {}

  /**
   * Connects from {@code sourceIp}, reads the first line, closes. Null when the connection ends
   * first.
   */
  static String firstLine(String sourceIp, InetSocketAddress to) throws IOException {
    try (Socket s = connect(sourceIp, to)) {
      return readLine(s);
    }
  }

  /** Like {@link #firstLine} but an I/O error (a reset) also gives null. */
  static String firstLineOrNull(String sourceIp, InetSocketAddress to) {
    try {
      return firstLine(sourceIp, to);
    } catch (IOException e) {
      return null;
    }
  }

  static Socket connect(String sourceIp, InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(5_000);
    s.bind(new InetSocketAddress(sourceIp, 0));
    s.connect(to, 5_000);
    return s;
  }

  static String readLine(Socket s) throws IOException {
    StringBuilder sb = new StringBuilder();
    InputStream in = s.getInputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      sb.append((char) c);
    }
    return c == -1 && sb.isEmpty() ? null : sb.toString();
  }

  /** Sends one datagram from {@code sourceIp} and waits up to {@code waitMillis} for an answer. */
  static String udpAsk(String sourceIp, InetSocketAddress to, int waitMillis) throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(sourceIp, 0))) {
      s.setSoTimeout(waitMillis);
      byte[] q = "who".getBytes(StandardCharsets.UTF_8);
      s.send(new DatagramPacket(q, q.length, to));
      byte[] buf = new byte[512];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        s.receive(p);
      } catch (SocketTimeoutException e) {
        return null;
      }
      return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }
  }
}
