package dev.switchboard.lb.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A pod's workload on 127.0.10.x: answers its name, then echoes. */
final class PodServer implements AutoCloseable {
  private final ServerSocket server;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "pod");
            t.setDaemon(true);
            return t;
          });

  PodServer(String name, String ip, int port) throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(ip, port), 256);
    pool.execute(
        () -> {
          while (!server.isClosed()) {
            try {
              Socket s = server.accept();
              pool.execute(() -> serve(s, name));
            } catch (IOException e) {
              return;
            }
          }
        });
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
  public void close() throws IOException {
    server.close();
    pool.shutdownNow();
  }
}
