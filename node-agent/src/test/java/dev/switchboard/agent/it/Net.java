package dev.switchboard.agent.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Client-side helpers of the integration tests; every call is bounded by a timeout. */
final class Net {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Net() {}

  static InetAddress ip(String s) {
    try {
      return InetAddress.getByName(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static InetSocketAddress addr(String ip, int port) {
    return new InetSocketAddress(ip(ip), port);
  }

  /** Connects, reads the backend's name line, closes. Null when nothing answered. */
  static String ask(InetSocketAddress target) {
    return ask(target, null);
  }

  /** As {@link #ask(InetSocketAddress)}, from the given source address. */
  static String ask(InetSocketAddress target, InetAddress source) {
    try (Conn c = Conn.open(target, source)) {
      return c.name;
    } catch (IOException e) {
      return null;
    }
  }

  /** A kept-open connection through a listener, to a backend that said its name. */
  static final class Conn implements AutoCloseable {
    final Socket socket;
    final BufferedReader in;
    final String name;

    private Conn(Socket socket, BufferedReader in, String name) {
      this.socket = socket;
      this.in = in;
      this.name = name;
    }

    static Conn open(InetSocketAddress target, InetAddress source) throws IOException {
      Socket s = new Socket();
      try {
        if (source != null) {
          s.bind(new InetSocketAddress(source, 0));
        }
        s.connect(target, 2000);
        s.setSoTimeout(5000);
        BufferedReader in =
            new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        return new Conn(s, in, in.readLine());
      } catch (IOException e) {
        s.close();
        throw e;
      }
    }

    /** Sends a line and returns the backend's echo. */
    String echo(String line) throws IOException {
      socket.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return in.readLine();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Sends one datagram from a fresh socket and returns the reply, or null after 1 s. */
  static String udp(InetSocketAddress target, String payload) {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(ip("127.0.0.1"), 0))) {
      s.setSoTimeout(1000);
      byte[] b = payload.getBytes(StandardCharsets.UTF_8);
      s.send(new DatagramPacket(b, b.length, target));
      byte[] buf = new byte[2048];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      s.receive(p);
      return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    } catch (SocketTimeoutException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  record Http(int status, String body) {}

  /** GET; status -1 when nothing answered. */
  static Http get(InetSocketAddress address, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://"
                              + address.getAddress().getHostAddress()
                              + ":"
                              + address.getPort()
                              + path))
                  .timeout(Duration.ofSeconds(3))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Http(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Http(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Http(-1, "interrupted");
    }
  }

  /** A port free on {@code ip} now. */
  static int freePort(String ip) {
    try (ServerSocket s = new ServerSocket(0, 1, ip(ip))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
