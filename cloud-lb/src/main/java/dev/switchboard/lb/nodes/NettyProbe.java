package dev.switchboard.lb.nodes;

import dev.switchboard.forwarder.Transport;
import dev.switchboard.forwarder.probe.HttpCheck;
import dev.switchboard.forwarder.probe.SocketProber;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The node checks over real sockets, with the forwarder's {@link SocketProber} (one event loop
 * thread of its own): a TCP connect to a NodePort, or kube-proxy's healthCheckNodePort contract
 * ({@code GET /healthz}, 200 alone passes).
 */
public final class NettyProbe implements Probe, AutoCloseable {
  private final SocketProber prober;

  public NettyProbe(Transport transport) {
    this.prober = new SocketProber(transport, "switchboard-lb-health", "switchboard-cloud-lb");
  }

  @Override
  public CompletableFuture<String> check(CheckTarget target, Duration timeout) {
    return target.kind() == CheckTarget.Kind.HTTP
        ? prober.http(target.address(), HttpCheck.healthz(), timeout)
        : prober.tcp(target.address(), timeout);
  }

  @Override
  public void close() {
    prober.close();
  }
}
