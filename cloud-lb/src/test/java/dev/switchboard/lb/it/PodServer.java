package dev.switchboard.lb.it;

import dev.switchboard.testing.AcceptLoop;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A pod's workload on 127.0.10.x: answers its name, then echoes. Once {@link #close()} returns its
 * port refuses connections ({@link AcceptLoop}).
 */
final class PodServer implements AutoCloseable {
  private final AcceptLoop acceptLoop;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "pod");
            t.setDaemon(true);
            return t;
          });

  PodServer(String name, String ip, int port) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(ip, port), 256);
    acceptLoop = AcceptLoop.start(server, "pod-accept", s -> pool.execute(() -> serve(s, name)));
  }

  private static void serve(Socket s, String name) {
    try (s) {
      OutputStream out = s.getOutputStream();
      out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() {
    acceptLoop.close();
    pool.shutdownNow();
  }
}
