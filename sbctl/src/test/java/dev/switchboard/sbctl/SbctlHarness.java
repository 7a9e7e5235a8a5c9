package dev.switchboard.sbctl;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real etcd and a real control plane (local mode) for one test class, and sbctl run in-process
 * against it with its output captured.
 */
final class SbctlHarness implements AutoCloseable {
  private static final AtomicInteger PREFIXES = new AtomicInteger();

  /** What one sbctl run printed and returned. */
  record Run(int exit, String out, String err) {
    List<String> outLines() {
      return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }
  }

  final EtcdProcess etcd;
  final ControlPlane controlPlane;
  private final List<ManagedChannel> channels = new ArrayList<>();

  SbctlHarness() {
    etcd = EtcdProcess.start();
    try {
      controlPlane =
          ControlPlane.start(
              ControlPlaneConfig.local(
                  etcd.endpoint(),
                  "/sbctl" + PREFIXES.incrementAndGet() + "-" + System.nanoTime()));
    } catch (IOException e) {
      etcd.close();
      throw new UncheckedIOException(e);
    }
  }

  String server() {
    return "127.0.0.1:" + controlPlane.port();
  }

  /** Runs sbctl with SWITCHBOARD_SERVER pointing at this control plane. */
  Run sbctl(String... args) {
    return sbctlWithInput("", args);
  }

  Run sbctlWithInput(String stdin, String... args) {
    return sbctlIn(
        Map.of(ClientOptions.SERVER_ENV, server(), ClientOptions.INSECURE_ENV, "true"),
        stdin,
        args);
  }

  static Run sbctlIn(Map<String, String> env, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Terminal terminal =
        new Terminal(
            new PrintWriter(out, true),
            new PrintWriter(err, true),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            env,
            Clock.systemUTC());
    int exit = Sbctl.run(terminal, args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** Opens a node agent's discovery stream, which registers the node as ready while open. */
  AutoCloseable node(String name, String address) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", controlPlane.port()).usePlaintext().build();
    channels.add(channel);
    StreamObserver<DiscoveryRequest> requests =
        DiscoveryGrpc.newStub(channel).stream(
            new StreamObserver<DiscoveryResponse>() {
              @Override
              public void onNext(DiscoveryResponse value) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setHello(
                Hello.newBuilder().setNodeName(name).setNodeAddress(address).setRole(Role.AGENT))
            .build());
    return () -> {
      requests.onCompleted();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    };
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    controlPlane.close();
    etcd.close();
  }
}
