package dev.switchboard.agent.health;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The agent's own health endpoints, for its supervisor and for load balancers: {@code /healthz}
 * answers 200 while the process runs; {@code /readyz} answers 200 once the first snapshot is
 * programmed (before that the node would forward nowhere) and 503 before; {@code /statusz} is a
 * one-line human summary; {@code /metrics} the agent's metrics in Prometheus text format
 * (connections, bytes, connect failures and retries, network-programming latency).
 */
public final class AdminServer implements AutoCloseable {
  private final HttpEndpoint endpoint;

  private AdminServer(HttpEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  public static AdminServer start(
      EventLoopGroup group,
      InetSocketAddress address,
      BooleanSupplier ready,
      Supplier<String> status,
      Supplier<String> metrics)
      throws IOException {
    return new AdminServer(
        HttpEndpoint.bind(
            group,
            address,
            (method, path) ->
                switch (path) {
                  case "/healthz" -> HttpEndpoint.Response.text(200, "ok\n");
                  case "/readyz" ->
                      ready.getAsBoolean()
                          ? HttpEndpoint.Response.text(200, "ok\n")
                          : HttpEndpoint.Response.text(
                              503, "not ready: no snapshot from the control plane applied yet\n");
                  case "/statusz" -> HttpEndpoint.Response.text(200, status.get() + "\n");
                  case "/metrics" ->
                      new HttpEndpoint.Response(
                          200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                  default ->
                      HttpEndpoint.Response.text(
                          404, "not found; try /healthz, /readyz, /statusz or /metrics\n");
                },
            Duration.ofSeconds(5)));
  }

  public InetSocketAddress address() {
    return endpoint.address();
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
