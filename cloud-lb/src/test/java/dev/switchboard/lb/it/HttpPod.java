package dev.switchboard.lb.it;

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

/**
 * A pod speaking HTTP/1.1 by hand (keep-alive, pipelining: one request after the other on each
 * connection), recording the headers of every request it got and answering with its name and the
 * request's path. Also reads messages for the test's client side. Once {@link #close()} returns its
 * port refuses connections ({@link AcceptLoop}).
 */
final class HttpPod implements AutoCloseable {
  /** A request or response: first line, lower-cased headers, body. */
  record Message(String firstLine, Map<String, String> headers, String body) {}

  final String name;
  final List<Message> requests = new CopyOnWriteArrayList<>();
  private final AcceptLoop acceptLoop;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "http-pod");
            t.setDaemon(true);
            return t;
          });

  HttpPod(String name, String ip, int port) throws IOException {
    this.name = name;
    ServerSocket socket = new ServerSocket(port, 64, InetAddress.getByName(ip));
    acceptLoop = AcceptLoop.start(socket, "http-pod-accept", s -> pool.execute(() -> serve(s)));
  }

  private void serve(Socket s) {
    try (s;
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      for (Message m; (m = read(in)) != null; ) {
        requests.add(m);
        byte[] body = (name + " " + m.firstLine().split(" ")[1]).getBytes(StandardCharsets.UTF_8);
        out.write(
            ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
      }
    } catch (IOException e) {
      // the agent went away
    }
  }

  static Message read(InputStream in) throws IOException {
    String first = line(in);
    if (first == null) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l; !(l = line(in)).isEmpty(); ) {
      int colon = l.indexOf(':');
      headers.put(
          l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
    return new Message(first, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != -1; ) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return null;
  }

  @Override
  public void close() {
    acceptLoop.close();
    pool.shutdownNow();
  }
}
