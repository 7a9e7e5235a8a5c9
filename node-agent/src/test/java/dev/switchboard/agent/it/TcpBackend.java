package dev.switchboard.agent.it;

import dev.switchboard.testing.AcceptLoop;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pod's TCP server: answers every connection with its name on a line, then echoes each line it
 * reads as {@code name:line} until the client closes. Once {@link #close()} returns its port
 * refuses connections ({@link AcceptLoop}).
 */
final class TcpBackend implements AutoCloseable {
  final String name;
  final AtomicInteger open = new AtomicInteger();
  final AtomicInteger accepted = new AtomicInteger();
  private final ServerSocket socket;
  private final AcceptLoop acceptLoop;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "backend");
            t.setDaemon(true);
            return t;
          });

  TcpBackend(String name, String ip) {
    this.name = name;
    try {
      socket = new ServerSocket(0, 512, InetAddress.getByName(ip));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    acceptLoop =
        AcceptLoop.start(
            socket,
            "backend-accept",
            s -> {
              accepted.incrementAndGet();
              open.incrementAndGet();
              pool.execute(() -> serve(s));
            });
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve(Socket s) {
    try (s) {
      OutputStream out = s.getOutputStream();
      out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        out.write((name + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      // the client reset: nothing to do
    } finally {
      open.decrementAndGet();
    }
  }

  @Override
  public void close() {
    acceptLoop.close();
    pool.shutdownNow();
  }
}
