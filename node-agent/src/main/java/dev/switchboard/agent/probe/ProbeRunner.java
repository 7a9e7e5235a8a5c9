package dev.switchboard.agent.probe;

import dev.switchboard.forwarder.probe.HttpCheck;
import dev.switchboard.forwarder.probe.SocketProber;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.HTTPHeader;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Probe;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Runs one probe of a pod once, as the kubelet would: httpGet and tcpSocket over the shared {@link
 * SocketProber} (its own event loop, never a forwarding one), grpc as a {@code
 * grpc.health.v1.Health/Check} on a fresh plaintext connection. Completes with null for a pass,
 * else the reason; never exceptionally.
 */
final class ProbeRunner {
  private final SocketProber sockets;
  private final Executor callbacks;

  /**
   * @param callbacks where gRPC completions run (the prober's executor)
   */
  ProbeRunner(SocketProber sockets, Executor callbacks) {
    this.sockets = sockets;
    this.callbacks = callbacks;
  }

  CompletableFuture<String> run(Pod pod, Probe probe) {
    Duration timeout = Duration.ofSeconds(Math.max(1, probe.getTimeoutSeconds()));
    try {
      return switch (probe.getHandlerCase()) {
        case HTTP_GET -> {
          var http = probe.getHttpGet();
          List<Map.Entry<String, String>> headers =
              http.getHttpHeadersList().stream().map(ProbeRunner::header).toList();
          yield sockets.http(
              address(pod, http.getHost(), http.getPort()),
              HttpCheck.probe(
                  "HTTPS".equals(http.getScheme()),
                  http.getPath().isEmpty() ? "/" : http.getPath(),
                  headers),
              timeout);
        }
        case TCP_SOCKET ->
            sockets.tcp(
                address(pod, probe.getTcpSocket().getHost(), probe.getTcpSocket().getPort()),
                timeout);
        case GRPC ->
            grpc(
                address(
                    pod,
                    "",
                    IntOrString.newBuilder().setIntValue(probe.getGrpc().getPort()).build()),
                probe.getGrpc().getService(),
                timeout);
        default ->
            CompletableFuture.completedFuture(probe.getHandlerCase() + " probes are not run here");
      };
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(e.getMessage());
    }
  }

  private CompletableFuture<String> grpc(
      InetSocketAddress address, String service, Duration timeout) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(address).usePlaintext().build();
    var call =
        HealthGrpc.newFutureStub(channel)
            .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build());
    CompletableFuture<String> result = new CompletableFuture<>();
    call.addListener(
        () -> {
          channel.shutdownNow();
          try {
            HealthCheckResponse.ServingStatus status = call.get().getStatus();
            result.complete(
                status == HealthCheckResponse.ServingStatus.SERVING
                    ? null
                    : "service unhealthy (responded with \"" + status + "\")");
          } catch (ExecutionException e) {
            Status s =
                e.getCause() instanceof StatusRuntimeException sre
                    ? sre.getStatus()
                    : Status.fromThrowable(e.getCause());
            result.complete(
                s.getCode() == Status.Code.DEADLINE_EXCEEDED
                    ? "timeout: health rpc did not complete within " + timeout.toMillis() + " ms"
                    : "rpc error: code = " + s.getCode() + " desc = " + s.getDescription());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.complete("interrupted");
          }
        },
        callbacks);
    return result;
  }

  /**
   * The probe's target: its host (default the pod's IP) and its port, a number or a named container
   * port.
   */
  static InetSocketAddress address(Pod pod, String host, IntOrString port) {
    int number = port.hasIntValue() ? port.getIntValue() : named(pod, port.getStrValue());
    String ip = host.isEmpty() ? pod.getStatus().getPodIp() : host;
    try {
      return new InetSocketAddress(InetAddress.getByName(ip), number);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("host " + ip + ": " + e.getMessage());
    }
  }

  private static int named(Pod pod, String name) {
    for (Container c : pod.getSpec().getContainersList()) {
      for (ContainerPort p : c.getPortsList()) {
        if (p.getName().equals(name)) {
          return p.getContainerPort();
        }
      }
    }
    throw new IllegalArgumentException(
        "port \"" + name + "\" is not one of the pod's container ports");
  }

  private static Map.Entry<String, String> header(HTTPHeader h) {
    return new AbstractMap.SimpleImmutableEntry<>(h.getName(), h.getValue());
  }
}
