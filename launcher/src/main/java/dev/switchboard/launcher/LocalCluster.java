package dev.switchboard.launcher;

import dev.switchboard.tls.BearerToken;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Starts a whole cluster on loopback, in order, each component a process of its own with its log
 * under the state directory: etcd, the control plane, N node agents, cloud-lb and (unless told not
 * to) the demo app with its LoadBalancer service. Stops them in reverse order.
 */
final class LocalCluster implements AutoCloseable {
  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final LaunchOptions options;
  private final PrintStream out;
  private final List<Component> started = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private int etcdPort;

  LocalCluster(LaunchOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Everything the summary shows; {@code pki} null when insecure. */
  record Summary(
      int etcdPort, int controlPlanePort, List<String> nodes, Demo.Status demo, LocalPki pki) {}

  Summary start() throws IOException, InterruptedException {
    Path logs = options.stateDir().resolve("logs");
    Files.createDirectories(logs);
    String etcd = Binaries.etcd();
    LocalPki pki = options.insecure() ? null : LocalPki.ensure(options.stateDir(), options.nodes());
    if (pki != null && pki.createdCa()) {
      out.println("switchboard: created a CA and certificates in " + pki.caCert().getParent());
    }

    etcdPort =
        options.etcdPort() != 0
            ? options.etcdPort()
            : (isFree("127.0.0.1", 2379) ? 2379 : freePort());
    if (options.etcdPort() == 0 && etcdPort != 2379) {
      out.println("switchboard: 127.0.0.1:2379 is taken; etcd uses 127.0.0.1:" + etcdPort);
    }
    requireFree("etcd", "127.0.0.1", etcdPort, "--etcd-port");
    int peerPort = freePort();
    String etcdUrl = "http://127.0.0.1:" + etcdPort;
    launch(
        new Component(
            "etcd",
            List.of(
                etcd,
                "--name",
                "local",
                "--data-dir",
                options.stateDir().resolve("etcd").toString(),
                "--listen-client-urls",
                etcdUrl,
                "--advertise-client-urls",
                etcdUrl,
                "--listen-peer-urls",
                "http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + peerPort,
                "--initial-cluster",
                "local=http://127.0.0.1:" + peerPort),
            logs.resolve("etcd.log"),
            () -> httpOk(etcdUrl + "/health")),
        "http://127.0.0.1:" + etcdPort);

    int cpPort = options.controlPlanePort();
    requireFree("control plane", "127.0.0.1", cpPort, "--control-plane-port");
    if (options.controlPlaneMetricsPort() != 0) {
      requireFree(
          "control plane metrics",
          "127.0.0.1",
          options.controlPlaneMetricsPort(),
          "--control-plane-metrics-port");
    }
    Path cpLog = logs.resolve("control-plane.log");
    launch(
        new Component(
            "control plane",
            java(
                "dev.switchboard.controlplane.Main",
                "--etcd-endpoints",
                etcdUrl,
                "--listen",
                "127.0.0.1:" + cpPort,
                "--service-cidr",
                "127.96.0.0/16",
                "--lb-pools",
                "127.0.2.0/24",
                "--metrics-port",
                Integer.toString(options.controlPlaneMetricsPort()),
                pki == null
                    ? List.of("--insecure")
                    : List.of(
                        "--tls-cert",
                        pki.cert("control-plane").toString(),
                        "--tls-key",
                        pki.key("control-plane").toString(),
                        "--client-ca",
                        pki.caCert().toString(),
                        "--admin-tokens",
                        pki.tokenFile().toString())),
            cpLog,
            () -> logContains(cpLog, "serving on"),
            otel("switchboard-control-plane", "control-plane")),
        "127.0.0.1:" + cpPort);

    List<String> nodes = new ArrayList<>();
    for (int n = 1; n <= options.nodes(); n++) {
      String name = "node-" + n;
      String address = "127.0.1." + n;
      requireFree(name, address, options.agentAdminPort(), "--agent-admin-port");
      if (options.agentDnsPort() != 0) {
        requireFree(name + " DNS", address, options.agentDnsPort(), "--agent-dns-port");
      }
      String readyz = "http://" + address + ":" + options.agentAdminPort() + "/readyz";
      launch(
          new Component(
              name,
              java(
                  ComponentJvm.nodeAgentOwn(),
                  "dev.switchboard.agent.Main",
                  "--node-name",
                  name,
                  "--node-address",
                  address,
                  "--control-plane",
                  "127.0.0.1:" + cpPort,
                  "--cluster-ip-mode",
                  "local",
                  "--service-cidr",
                  "127.96.0.0/16",
                  "--admin-port",
                  Integer.toString(options.agentAdminPort()),
                  "--dns-port",
                  Integer.toString(options.agentDnsPort()),
                  clientTls(pki, name)),
              logs.resolve(name + ".log"),
              () -> httpOk(readyz),
              otel("switchboard-node-agent", name)),
          address);
      nodes.add(name + " " + address);
    }

    Path lbLog = logs.resolve("cloud-lb.log");
    if (options.lbMetricsPort() != 0) {
      requireFree("cloud-lb metrics", "127.0.0.1", options.lbMetricsPort(), "--lb-metrics-port");
    }
    launch(
        new Component(
            "cloud-lb",
            java(
                "dev.switchboard.lb.Main",
                "--name",
                "cloud-lb",
                "--control-plane",
                "127.0.0.1:" + cpPort,
                "--health-interval",
                "1s",
                "--metrics-port",
                Integer.toString(options.lbMetricsPort()),
                clientTls(pki, "cloud-lb")),
            lbLog,
            () -> logContains(lbLog, "discovery: connected"),
            otel("switchboard-cloud-lb", "cloud-lb")),
        "LoadBalancer IPs from 127.0.2.0/24");

    Demo.Status demo = null;
    if (options.demo()) {
      Demo plan = new Demo(options.nodes());
      launch(
          new Component(
              "demo app",
              java("dev.switchboard.launcher.DemoApp", plan.podArgs()),
              logs.resolve("demo-app.log"),
              plan::podsListening),
          plan.podsDescription());
      out.print("switchboard: applying the demo service ... ");
      out.flush();
      demo = plan.apply(cpPort, READY_TIMEOUT, adminCredentials(pki));
      out.println("ready (EXTERNAL-IP " + demo.externalIp() + ")");
    }
    SbctlEnv.write(options.stateDir(), "127.0.0.1:" + cpPort, pki);
    return new Summary(etcdPort, cpPort, nodes, demo, pki);
  }

  /** A node agent's or cloud-lb's flags towards the control plane. */
  private static List<String> clientTls(LocalPki pki, String name) {
    return pki == null
        ? List.of("--insecure")
        : List.of(
            "--tls-ca",
            pki.caCert().toString(),
            "--tls-cert",
            pki.cert(name).toString(),
            "--tls-key",
            pki.key(name).toString());
  }

  /** TLS and the editor token, for the launcher's own Admin calls (the demo). */
  private static ChannelCredentials adminCredentials(LocalPki pki) throws IOException {
    if (pki == null) {
      return InsecureChannelCredentials.create();
    }
    return CompositeChannelCredentials.create(
        TlsChannelCredentials.newBuilder().trustManager(pki.caCert().toFile()).build(),
        new BearerToken(pki.editorToken()));
  }

  /**
   * The OpenTelemetry environment of one component: with {@code --otlp-endpoint}, export there
   * under the component's service name (and instance, e.g. the node); without, nothing is exported
   * (the components' default), whatever OTEL_* the launcher itself was given.
   */
  private Map<String, String> otel(String serviceName, String instance) {
    if (options.otlpEndpoint().isEmpty()) {
      return Map.of();
    }
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        options.otlpEndpoint(),
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        options.otlpProtocol(),
        "OTEL_SERVICE_NAME",
        serviceName,
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.instance.id=" + instance);
  }

  /** Process ids of everything started, for tests that check nothing is left behind. */
  List<Long> pids() {
    return started.stream().map(Component::pid).toList();
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      started.get(i).stop(STOP_GRACE);
    }
    started.clear();
  }

  private void launch(Component component, String where) throws IOException, InterruptedException {
    long begin = System.nanoTime();
    out.print("switchboard: starting " + component.name() + " (" + where + ") ... ");
    out.flush();
    component.start();
    started.add(component);
    component.awaitReady(READY_TIMEOUT);
    out.println(String.format(Locale.ROOT, "ready in %.1f s", (System.nanoTime() - begin) / 1e9));
  }

  private List<String> java(String mainClass, Object... args) {
    return java(List.of(), mainClass, args);
  }

  /** {@code jvm} comes after the common flags, so it overrides them. */
  private List<String> java(List<String> jvm, String mainClass, Object... args) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(ComponentJvm.COMMON);
    command.addAll(jvm);
    command.addAll(
        List.of(
            // One classpath holds every component's logback.xml: skip logback's warning about it.
            "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass));
    for (Object arg : args) { // strings, and lists of them
      if (arg instanceof List<?> list) {
        list.forEach(a -> command.add((String) a));
      } else {
        command.add((String) arg);
      }
    }
    return command;
  }

  private boolean httpOk(String url) {
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean logContains(Path log, String text) {
    try {
      return Files.exists(log) && Files.readString(log).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  private static void requireFree(String component, String host, int port, String flag) {
    if (!isFree(host, port)) {
      throw new LaunchException(
          component
              + ": "
              + host
              + ":"
              + port
              + " is already in use"
              + " (is another Switchboard running? choose another port with "
              + flag
              + ")");
    }
  }

  static boolean isFree(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 200);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
