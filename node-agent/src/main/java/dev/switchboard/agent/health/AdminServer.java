package dev.switchboard.agent.health;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The agent's own health endpoints, for its supervisor and for load balancers:
 * {@code /healthz} answers 200 while the process runs; {@code /readyz} answers 200 once the first
 * snapshot is programmed (before that the node would forward nowhere) and 503 before;
 * {@code /statusz} is a one-line human summary.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpEndpoint endpoint;

  private AdminServer(HttpEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  public static AdminServer start(EventLoopGroup group, InetSocketAddress address,
      BooleanSupplier ready, Supplier<String> status) throws IOException {
    return new AdminServer(HttpEndpoint.bind(group, address, (method, path) -> switch (path) {
      case "/healthz" -> HttpEndpoint.Response.text(200, "ok\n");
      case "/readyz" -> ready.getAsBoolean()
          ? HttpEndpoint.Response.text(200, "ok\n")
          : HttpEndpoint.Response.text(503, "not ready: no snapshot from the control plane applied yet\n");
      case "/statusz" -> HttpEndpoint.Response.text(200, status.get() + "\n");
      default -> HttpEndpoint.Response.text(404, "not found; try /healthz, /readyz or /statusz\n");
    }, Duration.ofSeconds(5)));
  }

  public InetSocketAddress address() {
    return endpoint.address();
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
