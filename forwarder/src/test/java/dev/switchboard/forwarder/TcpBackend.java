package dev.switchboard.forwarder;

import dev.switchboard.testing.AcceptLoop;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain blocking-socket TCP server for tests: one thread per connection, on a 127.0.10.x address.
 * Once {@link #close()} returns its port refuses connections ({@link AcceptLoop}).
 */
final class TcpBackend implements AutoCloseable {

  @FunctionalInterface
  interface Behaviour {
    void serve(Socket socket, TcpBackend backend) throws IOException;
  }

  /** Sends its name and a newline, then echoes until EOF, then closes. */
  static final Behaviour NAME_THEN_ECHO =
      (s, b) -> {
        OutputStream out = s.getOutputStream();
        out.write((b.name + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        echo(s);
      };

  /** Echoes until EOF, then closes. */
  static final Behaviour ECHO = (s, b) -> echo(s);

  final String name;
  final AtomicInteger accepted = new AtomicInteger();
  private final ServerSocket server;
  private final AcceptLoop acceptLoop;
  private final Behaviour behaviour;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "backend");
            t.setDaemon(true);
            return t;
          });

  private TcpBackend(String ip, String name, Behaviour behaviour) throws IOException {
    this.name = name;
    this.behaviour = behaviour;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(ip, 0), 1024);
    acceptLoop = AcceptLoop.start(server, "backend-accept", this::accepted);
  }

  static TcpBackend start(String ip, String name, Behaviour behaviour) throws IOException {
    return new TcpBackend(ip, name, behaviour);
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  Endpoint endpoint() {
    return Endpoint.ready(address());
  }

  private void accepted(Socket s) {
    accepted.incrementAndGet();
    open.add(s);
    pool.execute(
        () -> {
          try (s) {
            behaviour.serve(s, this);
          } catch (IOException ignored) {
            // the client went away: fine for a test server
          } finally {
            open.remove(s);
          }
        });
  }

  static void echo(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    byte[] buf = new byte[16 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
      out.flush();
    }
    s.shutdownOutput();
  }

  static String readLine(Socket s) throws IOException {
    StringBuilder sb = new StringBuilder();
    InputStream in = s.getInputStream();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      sb.append((char) c);
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    acceptLoop.close();
    for (Socket s : open) {
      s.close();
    }
    pool.shutdownNow();
  }
}
