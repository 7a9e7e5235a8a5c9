package dev.switchboard.bench;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.ControlPlaneConfig;
import dev.switchboard.controlplane.ControlPlaneSecurity;
import dev.switchboard.controlplane.auth.AdminTokens;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.Identity;
import dev.switchboard.tls.TlsFiles;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What TLS costs a subscriber's connect: a fresh channel, handshake (mTLS with an ECDSA P-256 node
 * certificate, or plaintext), hello, first snapshot, alternating plain and TLS runs against two
 * replicas on one etcd. Prints medians and p90 in ms. Usage: {@code TlsHandshakeBenchmark [rounds]}
 * (default 200 connects each; loopback only).
 */
public final class TlsHandshakeBenchmark {
  private TlsHandshakeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    ScratchDir scratch = ScratchDir.create("switchboard-tls-bench-", args);
    Path dir = scratch.path();
    CertificateAuthority ca = CertificateAuthority.create("bench-ca", Duration.ofDays(1));
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    ca.issueServer("cp", List.of("127.0.0.1"), Duration.ofDays(1))
        .write(dir.resolve("cp.crt"), dir.resolve("cp.key"));
    ca.issueClient(Identity.node("node-1").subject(), Duration.ofDays(1))
        .write(dir.resolve("node.crt"), dir.resolve("node.key"));
    Files.writeString(dir.resolve("tokens.csv"), "t,u,editor\n");
    try (EtcdProcess etcd = EtcdProcess.start();
        TlsFiles server =
            TlsFiles.load(
                dir.resolve("cp.crt"),
                dir.resolve("cp.key"),
                dir.resolve("ca.crt"),
                Duration.ofSeconds(10));
        TlsFiles client =
            TlsFiles.load(
                dir.resolve("node.crt"),
                dir.resolve("node.key"),
                dir.resolve("ca.crt"),
                Duration.ofSeconds(10))) {
      ControlPlaneConfig config = ControlPlaneConfig.local(etcd.endpoint(), "/bench-tls");
      try (ControlPlane plain = ControlPlane.start(config);
          ControlPlane tls =
              ControlPlane.start(
                  config,
                  Telemetry.disabled(),
                  new ControlPlaneSecurity(
                      server.serverCredentials(),
                      AdminTokens.load(dir.resolve("tokens.csv")),
                      null))) {
        long[] plainNanos = new long[rounds];
        long[] tlsNanos = new long[rounds];
        for (int i = 0; i < 20; i++) { // warm up both paths
          connect(plain.port(), InsecureChannelCredentials.create());
          connect(tls.port(), client.channelCredentials());
        }
        for (int i = 0; i < rounds; i++) {
          plainNanos[i] = connect(plain.port(), InsecureChannelCredentials.create());
          tlsNanos[i] = connect(tls.port(), client.channelCredentials());
        }
        System.out.println("| connect + hello + snapshot | median ms | p90 ms |");
        System.out.println("|---|---|---|");
        System.out.println(row("plaintext", plainNanos));
        System.out.println(row("mTLS (ECDSA P-256)", tlsNanos));
      }
    }
    scratch.finished();
  }

  private static long connect(int port, ChannelCredentials credentials) throws Exception {
    long begin = System.nanoTime();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials).build();
    try {
      CompletableFuture<DiscoveryResponse> first = new CompletableFuture<>();
      StreamObserver<DiscoveryRequest> requests =
          DiscoveryGrpc.newStub(channel).stream(
              new StreamObserver<>() {
                @Override
                public void onNext(DiscoveryResponse r) {
                  first.complete(r);
                }

                @Override
                public void onError(Throwable t) {
                  first.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {}
              });
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setHello(
                  Hello.newBuilder()
                      .setNodeName("node-1")
                      .setNodeAddress("127.0.1.1")
                      .setRole(Role.AGENT))
              .build());
      first.get(10, TimeUnit.SECONDS);
      long elapsed = System.nanoTime() - begin;
      requests.onCompleted();
      return elapsed;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static String row(String name, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format(
        Locale.ROOT,
        "| %s | %.2f | %.2f |",
        name,
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) (sorted.length * 0.9)] / 1e6);
  }
}
