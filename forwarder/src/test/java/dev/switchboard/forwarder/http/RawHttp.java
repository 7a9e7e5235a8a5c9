package dev.switchboard.forwarder.http;

import dev.switchboard.testing.AcceptLoop;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HTTP/1.1 by hand, for tests that must see exactly what goes over the wire: a message reader
 * (request or response: head + Content-Length body), and a keep-alive backend that answers each
 * request in order with its path, the headers it saw, and an optional large body.
 */
final class RawHttp {
  private RawHttp() {}

  /** One message: first line, headers (lower-case names), body. */
  record Message(String firstLine, Map<String, String> headers, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Reads one message; null at a clean end of stream. Empty lines before it are skipped (RFC 9112
   * 2.2).
   */
  static Message read(InputStream in) throws IOException {
    String first = line(in);
    while (first != null && first.isEmpty()) {
      first = line(in);
    }
    if (first == null) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l; !(l = line(in)).isEmpty(); ) {
      int colon = l.indexOf(':');
      headers.put(
          l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    if (body.length != length) {
      throw new IOException("short body: " + body.length + " of " + length);
    }
    return new Message(first, headers, body);
  }

  static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    if (b.size() == 0) {
      return null;
    }
    throw new IOException("end of stream inside a line");
  }

  static byte[] request(String method, String path, String... headers) {
    StringBuilder b = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: test\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    return b.append("Content-Length: 0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * A keep-alive backend: answers each request with 200 and a body {@code path=..;h=<header x-hop>}
   * or, for {@code /big/N}, N bytes of 'x'; to {@code Upgrade: echo}, 101 and then it echoes raw
   * bytes; after {@code /close...}, says {@code Connection: close} and closes. Records every
   * request. Once {@link #close()} returns its port refuses connections ({@link AcceptLoop}).
   */
  static final class Backend implements AutoCloseable {
    final ServerSocket socket;
    private final AcceptLoop acceptLoop;
    final List<Message> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();

    /** Connections that ended (either side closed). */
    final AtomicInteger closedConnections = new AtomicInteger();

    /**
     * When > 0: a connection idle this long between requests is closed by the backend (its
     * keep-alive timeout).
     */
    volatile int keepAliveMillis;

    /**
     * When true: the second request on a connection is read, then the connection closed unanswered.
     */
    volatile boolean dropSecondRequest;

    private final ExecutorService pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "raw-http-backend");
              t.setDaemon(true);
              return t;
            });

    Backend(String ip) throws IOException {
      socket = new ServerSocket(0, 64, InetAddress.getByName(ip));
      acceptLoop =
          AcceptLoop.start(
              socket,
              "raw-http-backend-accept",
              s -> {
                connections.incrementAndGet();
                pool.execute(() -> serve(s));
              });
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve(Socket s) {
      int served = 0;
      try (s;
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream()) {
        // Head and body are two writes: without this, on a kept-alive connection the body waits
        // for the proxy's delayed ACK of the head (Nagle), 40 ms a response. Servers set it too.
        s.setTcpNoDelay(true);
        if (keepAliveMillis > 0) {
          s.setSoTimeout(keepAliveMillis);
        }
        for (Message m; (m = read(in)) != null; ) {
          requests.add(m);
          if (++served == 2 && dropSecondRequest) {
            return;
          }
          String path = m.firstLine().split(" ")[1];
          if ("echo".equalsIgnoreCase(m.headers().get("upgrade"))) {
            // Switches to a raw echo protocol, with its first bytes in the 101's own segment.
            out.write(
                ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n"
                        + "hello from the new protocol\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            in.transferTo(out);
            return;
          }
          byte[] body =
              path.startsWith("/big/")
                  ? "x"
                      .repeat(Integer.parseInt(path.substring(5)))
                      .getBytes(StandardCharsets.US_ASCII)
                  : ("path=" + path + ";h=" + m.headers().get("x-hop"))
                      .getBytes(StandardCharsets.UTF_8);
          boolean closing =
              path.startsWith("/close"); // the server ends this connection after the response
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Length: "
                      + body.length
                      + (closing ? "\r\nConnection: close" : "")
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          out.write(body);
          out.flush();
          if (closing || "close".equalsIgnoreCase(m.headers().get("connection"))) {
            return;
          }
        }
      } catch (IOException e) {
        // the proxy went away, or the keep-alive timeout passed
      } finally {
        closedConnections.incrementAndGet();
      }
    }

    @Override
    public void close() {
      acceptLoop.close();
      pool.shutdownNow();
    }
  }
}
