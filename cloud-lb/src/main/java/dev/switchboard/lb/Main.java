package dev.switchboard.lb;

import dev.switchboard.checks.Flags;
import dev.switchboard.lb.nodes.HealthOptions;
import dev.switchboard.telemetry.MetricsServer;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.tls.BearerToken;
import dev.switchboard.tls.ClientTlsOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code switchboard-cloud-lb}: flags, each with an environment variable; a bad one is one line and
 * exit 2.
 */
@Command(
    name = "switchboard-cloud-lb",
    mixinStandardHelpOptions = true,
    version = "switchboard-cloud-lb 0.1.0",
    description =
        "Serves each LoadBalancer service's external IP and forwards to healthy nodes' NodePorts.")
public final class Main implements Callable<Integer> {
  static final String NAME = "switchboard-cloud-lb";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--name",
      defaultValue = "${env:SWITCHBOARD_LB_NAME:-cloud-lb}",
      description =
          "Instance name in the Discovery hello (env SWITCHBOARD_LB_NAME; default ${DEFAULT-VALUE}).")
  String name;

  @Option(
      names = "--control-plane",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:SWITCHBOARD_CONTROL_PLANE:-127.0.0.1:9440}",
      description =
          "A control-plane replica (env SWITCHBOARD_CONTROL_PLANE; default ${DEFAULT-VALUE}).")
  String controlPlane;

  @Option(
      names = "--health-interval",
      defaultValue = "${env:SWITCHBOARD_LB_HEALTH_INTERVAL:-2s}",
      converter = Flags.DurationConverter.class,
      description =
          "Time between two checks of a node port (env SWITCHBOARD_LB_HEALTH_INTERVAL; default ${DEFAULT-VALUE}).")
  Duration healthInterval;

  @Option(
      names = "--health-rise",
      defaultValue = "${env:SWITCHBOARD_LB_HEALTH_RISE:-2}",
      description =
          "Consecutive passes that bring a failed node back (env SWITCHBOARD_LB_HEALTH_RISE; default ${DEFAULT-VALUE}).")
  int healthRise;

  @Option(
      names = "--health-fall",
      defaultValue = "${env:SWITCHBOARD_LB_HEALTH_FALL:-3}",
      description =
          "Consecutive failures that take a node out (env SWITCHBOARD_LB_HEALTH_FALL; default ${DEFAULT-VALUE}).")
  int healthFall;

  @Option(
      names = "--unready-nodes-threshold",
      defaultValue = "${env:SWITCHBOARD_LB_UNREADY_NODES_THRESHOLD:-1}",
      description =
          "Share of nodes (more than 0, at most 1) that, not ready at once, is taken for a control-"
              + "plane problem: readiness is then ignored and the health checks alone decide "
              + "(env SWITCHBOARD_LB_UNREADY_NODES_THRESHOLD; default ${DEFAULT-VALUE}: every node).")
  double unreadyNodesThreshold;

  @Option(
      names = "--maglev-table-size",
      defaultValue = "${env:SWITCHBOARD_LB_MAGLEV_TABLE_SIZE:-65537}",
      description =
          "Maglev lookup table size M, a prime (env SWITCHBOARD_LB_MAGLEV_TABLE_SIZE; default ${DEFAULT-VALUE}).")
  int maglevTableSize;

  @Option(
      names = "--metrics-port",
      defaultValue = "${env:SWITCHBOARD_LB_METRICS_PORT:-0}",
      description =
          "Serve /metrics (Prometheus text) on this port; 0: none (env SWITCHBOARD_LB_METRICS_PORT; "
              + "default ${DEFAULT-VALUE}). Traces and metrics are exported by OTLP when "
              + "OTEL_EXPORTER_OTLP_ENDPOINT is set.")
  int metricsPort;

  @Option(
      names = "--metrics-host",
      defaultValue = "${env:SWITCHBOARD_LB_METRICS_HOST:-127.0.0.1}",
      description =
          "Address of the metrics port (env SWITCHBOARD_LB_METRICS_HOST; default ${DEFAULT-VALUE}).")
  String metricsHost;

  @CommandLine.Mixin ClientTlsOptions tls = new ClientTlsOptions();

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_ADMIN_TOKEN_FILE}",
      description =
          "A bearer token (first non-comment line) sent with status writes. Not needed with "
              + "TLS: the control plane lets a load balancer certificate write service status "
              + "(env SWITCHBOARD_ADMIN_TOKEN_FILE).")
  String adminTokenFile;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.err, true), args));
  }

  /** Parses and runs; a bad flag or value is one line on {@code err} and exit code 2. */
  static int run(PrintWriter err, String... args) {
    return Flags.run(NAME, new Main(), err, args);
  }

  /** Checks the flags together; throws {@link IllegalArgumentException} naming the flag. */
  LbConfig config() {
    String target = Flags.hostPort("--control-plane", controlPlane, 1).toString();
    HealthOptions health;
    try {
      health =
          HealthOptions.of(healthInterval, healthRise, healthFall)
              .withUnreadyNodesThreshold(unreadyNodesThreshold);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flagged(e.getMessage()), e);
    }
    try {
      return LbConfig.of(name, target).withHealth(health).withMaglevTableSize(maglevTableSize);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flagged(e.getMessage()), e);
    }
  }

  /** "healthRise: 0 (expected: ...)" → "--health-rise: 0 (expected: ...)". */
  private static String flagged(String message) {
    return message
        .replaceFirst("^healthInterval:", "--health-interval:")
        .replaceFirst("^healthRise:", "--health-rise:")
        .replaceFirst("^healthFall:", "--health-fall:")
        .replaceFirst("^unreadyNodesThreshold:", "--unready-nodes-threshold:")
        .replaceFirst("^maglevTableSize:", "--maglev-table-size:")
        .replaceFirst("^name:", "--name:");
  }

  @Override
  public Integer call() throws InterruptedException {
    LbConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Flags.port("--metrics-port", metricsPort);
    ClientTlsOptions.ClientTls security;
    BearerToken token = null;
    try {
      security = tls.open();
      if (adminTokenFile != null && !adminTokenFile.isBlank()) {
        token = BearerToken.fromFile(Path.of(adminTokenFile));
      }
    } catch (IllegalArgumentException | IOException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          (e instanceof IOException ? "--admin-token-file: " : "") + e.getMessage());
    }
    Telemetry telemetry = Telemetry.fromEnvironment("switchboard-cloud-lb");
    MetricsServer metrics = null;
    if (metricsPort != 0) {
      try {
        metrics = MetricsServer.start(new InetSocketAddress(metricsHost, metricsPort), telemetry);
      } catch (IOException e) {
        telemetry.close();
        security.close();
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    MetricsServer metricsServer = metrics;
    CloudLb lb = CloudLb.start(config, telemetry, security.credentials(), token);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  lb.close();
                  security.close();
                  if (metricsServer != null) {
                    metricsServer.close();
                  }
                  telemetry.close();
                  stopped.countDown();
                },
                "shutdown"));
    stopped.await();
    return 0;
  }
}
