package dev.switchboard.e2e;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The pods' processes: one tiny HTTP server per pod IP in the test JVM, answering {@code pod=NAME}.
 * Stopping one lets its open exchanges finish first, as a pod's process given a termination grace
 * period would.
 */
final class Backends implements AutoCloseable {
  static final int PORT = 8080;

  private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();
  private final ExecutorService executor =
      Executors.newFixedThreadPool(
          8,
          r -> {
            Thread t = new Thread(r, "backend");
            t.setDaemon(true);
            return t;
          });

  void start(String pod, String ip) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(ip, PORT), 256);
      byte[] body = ("pod=" + pod + "\n").getBytes(StandardCharsets.UTF_8);
      server.createContext(
          "/",
          exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.setExecutor(executor);
      server.start();
      servers.put(pod, server);
    } catch (IOException e) {
      throw new UncheckedIOException("backend " + pod + " on " + ip + ":" + PORT, e);
    }
  }

  /** Stops a pod's server after its open exchanges finish (at most 2 s). */
  void stop(String pod) {
    HttpServer server = servers.remove(pod);
    if (server != null) {
      server.stop(2);
    }
  }

  @Override
  public void close() {
    servers.values().forEach(s -> s.stop(0));
    servers.clear();
    executor.shutdownNow();
  }
}
