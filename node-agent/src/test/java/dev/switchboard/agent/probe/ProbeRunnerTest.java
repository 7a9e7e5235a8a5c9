package dev.switchboard.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.switchboard.forwarder.Transport;
import dev.switchboard.forwarder.probe.SocketProber;
import dev.switchboard.tls.CertificateAuthority;
import dev.switchboard.tls.IssuedCertificate;
import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.GRPCAction;
import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.HTTPHeader;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.TCPSocketAction;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each kind of probe against a real server on loopback, as the kubelet would run it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProbeRunnerTest {
  private static final String POD_IP = "127.0.0.1";
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final SocketProber sockets =
      new SocketProber(Transport.select(null), "probe-test", "test");
  private final ProbeRunner runner = new ProbeRunner(sockets, executor);

  @AfterEach
  void stop() {
    sockets.close();
    executor.shutdownNow();
  }

  @Test
  void httpGetPassesFrom200To399AndFailsWithTheStatusOtherwise() throws Exception {
    AtomicReference<String> header = new AtomicReference<>();
    HttpServer server = HttpServer.create(new InetSocketAddress(POD_IP, 0), 16);
    server.createContext(
        "/",
        exchange -> {
          header.set(exchange.getRequestHeaders().getFirst("X-Probe"));
          int status =
              switch (exchange.getRequestURI().getPath()) {
                case "/ready" -> 200;
                case "/moved" -> 302;
                default -> 503;
              };
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    try {
      int port = server.getAddress().getPort();
      assertThat(
              run(
                  pod(port),
                  http("/ready", IntOrString.newBuilder().setStrValue("http").build(), "HTTP")))
          .as("a named port")
          .isNull();
      assertThat(header.get()).isEqualTo("yes");
      assertThat(run(pod(port), http("/moved", number(port), "HTTP"))).isNull();
      assertThat(run(pod(port), http("/busy", number(port), "HTTP")))
          .isEqualTo("HTTP probe failed with statuscode: 503");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void httpsIsProbedWithoutVerifyingTheCertificate() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("some-ca", Duration.ofDays(1));
    IssuedCertificate cert =
        ca.issueServer("not-this-pod", List.of("example.invalid"), Duration.ofDays(1));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("server", cert.key(), new char[0], new Certificate[] {cert.certificate()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress(POD_IP, 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    try {
      int port = server.getAddress().getPort();
      assertThat(run(pod(port), http("/", number(port), "HTTPS"))).isNull();
      assertThat(run(pod(port), http("/", number(port), "HTTP")))
          .as("plain HTTP to a TLS port")
          .isNotNull();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void tcpSocketPassesWhenAcceptedAndARefusalOrASilentServerFails() throws Exception {
    int closedPort;
    try (ServerSocket listening = new ServerSocket(0, 16, java.net.InetAddress.getByName(POD_IP))) {
      Probe tcp =
          Probe.newBuilder()
              .setTimeoutSeconds(1)
              .setTcpSocket(TCPSocketAction.newBuilder().setPort(number(listening.getLocalPort())))
              .build();
      assertThat(run(pod(listening.getLocalPort()), tcp)).isNull();
      closedPort = listening.getLocalPort();
    }
    assertThat(
            run(
                pod(closedPort),
                Probe.newBuilder()
                    .setTcpSocket(TCPSocketAction.newBuilder().setPort(number(closedPort)))
                    .build()))
        .isEqualTo("connection refused");
    // Accepts, never answers: an HTTP probe times out (timeoutSeconds 1) and counts as failed.
    try (ServerSocket silent = new ServerSocket(0, 16, java.net.InetAddress.getByName(POD_IP))) {
      Probe slow =
          http("/", number(silent.getLocalPort()), "HTTP").toBuilder().setTimeoutSeconds(1).build();
      assertThat(run(pod(silent.getLocalPort()), slow)).isEqualTo("timed out after 1000 ms");
    }
  }

  @Test
  void grpcAsksTheHealthServiceAndNotServingFails() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(POD_IP, 0))
            .addService(health.getHealthService())
            .build()
            .start();
    try {
      int port = server.getPort();
      health.setStatus("", ServingStatus.SERVING);
      health.setStatus("shop.Cart", ServingStatus.NOT_SERVING);
      assertThat(run(pod(port), grpc(port, ""))).isNull();
      assertThat(run(pod(port), grpc(port, "shop.Cart")))
          .isEqualTo("service unhealthy (responded with \"NOT_SERVING\")");
      assertThat(run(pod(port), grpc(port, "shop.Unknown")))
          .startsWith("rpc error: code = NOT_FOUND");
    } finally {
      server.shutdownNow();
    }
  }

  private String run(Pod pod, Probe probe) throws Exception {
    return runner.run(pod, probe).get(10, TimeUnit.SECONDS);
  }

  private static Probe http(String path, IntOrString port, String scheme) {
    return Probe.newBuilder()
        .setTimeoutSeconds(2)
        .setHttpGet(
            HTTPGetAction.newBuilder()
                .setPath(path)
                .setPort(port)
                .setScheme(scheme)
                .addHttpHeaders(HTTPHeader.newBuilder().setName("X-Probe").setValue("yes")))
        .build();
  }

  private static Probe grpc(int port, String service) {
    return Probe.newBuilder()
        .setTimeoutSeconds(2)
        .setGrpc(GRPCAction.newBuilder().setPort(port).setService(service))
        .build();
  }

  private static IntOrString number(int port) {
    return IntOrString.newBuilder().setIntValue(port).build();
  }

  private static Pod pod(int httpPort) {
    return Pod.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("web-1"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("n1")
                .addContainers(
                    Container.newBuilder()
                        .setName("web")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(httpPort))))
        .setStatus(PodStatus.newBuilder().setPodIp(POD_IP))
        .build();
  }
}
