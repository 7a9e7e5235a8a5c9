package dev.switchboard.telemetry;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} in Prometheus text format on its own port, for the components that have no
 * HTTP server of their own (control plane, cloud-lb: {@code --metrics-port}); the node agent serves
 * it on its admin port instead. The JDK's HTTP server with one thread: a scrape every few seconds
 * needs no more.
 */
public final class MetricsServer implements AutoCloseable {
  /** Prometheus' text exposition format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds and serves {@code telemetry.scrape()}.
   *
   * @throws IOException naming the address when it cannot be bound
   */
  public static MetricsServer start(InetSocketAddress address, Telemetry telemetry)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException(
          "cannot bind metrics port "
              + address.getAddress().getHostAddress()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "switchboard-metrics");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            boolean metrics = exchange.getRequestURI().getPath().equals("/metrics");
            byte[] body =
                (metrics ? telemetry.scrape() : "not found; try /metrics\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange
                .getResponseHeaders()
                .set("Content-Type", metrics ? CONTENT_TYPE : "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(metrics ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
    return new MetricsServer(server, executor);
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
