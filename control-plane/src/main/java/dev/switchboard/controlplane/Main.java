package dev.switchboard.controlplane;

import dev.switchboard.checks.Flags;
import dev.switchboard.checks.Flags.HostPort;
import dev.switchboard.telemetry.MetricsServer;
import dev.switchboard.telemetry.Telemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code switchboard-control-plane}: flags (each with an environment variable) and a clean exit.
 */
@Command(
    name = "switchboard-control-plane",
    mixinStandardHelpOptions = true,
    version = "switchboard-control-plane 0.1.0",
    description =
        "Keeps services, pods and nodes in etcd, serves the Admin API and the Discovery stream.")
public final class Main implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--etcd-endpoints",
      split = ",",
      paramLabel = "URL",
      defaultValue = "${env:SWITCHBOARD_ETCD_ENDPOINTS:-http://127.0.0.1:2379}",
      description =
          "etcd client URLs, comma-separated (env SWITCHBOARD_ETCD_ENDPOINTS; default ${DEFAULT-VALUE}).")
  List<String> etcdEndpoints;

  @Option(
      names = "--key-prefix",
      defaultValue = "${env:SWITCHBOARD_KEY_PREFIX:-/switchboard}",
      description =
          "Prefix of every key in etcd (env SWITCHBOARD_KEY_PREFIX; default ${DEFAULT-VALUE}).")
  String keyPrefix;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:SWITCHBOARD_LISTEN:-127.0.0.1:9440}",
      description =
          "gRPC listen address for Admin, Discovery, health and reflection (env SWITCHBOARD_LISTEN; default ${DEFAULT-VALUE}).")
  String listen;

  @Option(
      names = "--service-cidr",
      defaultValue = "${env:SWITCHBOARD_SERVICE_CIDR:-10.96.0.0/12}",
      description =
          "ClusterIP range (env SWITCHBOARD_SERVICE_CIDR; default ${DEFAULT-VALUE}; local mode uses 127.96.0.0/16).")
  String serviceCidr;

  @Option(
      names = "--node-port-range",
      defaultValue = "${env:SWITCHBOARD_NODE_PORT_RANGE:-30000-32767}",
      description = "NodePort range (env SWITCHBOARD_NODE_PORT_RANGE; default ${DEFAULT-VALUE}).")
  String nodePortRange;

  @Option(
      names = "--lb-pools",
      defaultValue = "${env:SWITCHBOARD_LB_POOLS:-}",
      description =
          "LoadBalancer IP pools: CIDRs or first-last ranges, comma-separated (env SWITCHBOARD_LB_POOLS; local mode uses 127.0.2.0/24).")
  String lbPools;

  @Option(
      names = "--node-lease-ttl",
      defaultValue = "${env:SWITCHBOARD_NODE_LEASE_TTL:-10s}",
      converter = Flags.DurationConverter.class,
      description =
          "How long a node stays ready after its stream's replica stops renewing it (default ${DEFAULT-VALUE}).")
  Duration nodeLeaseTtl;

  @Option(
      names = "--etcd-wait",
      defaultValue = "${env:SWITCHBOARD_ETCD_WAIT:-60s}",
      converter = Flags.DurationConverter.class,
      description =
          "How long to wait for etcd at startup before giving up (default ${DEFAULT-VALUE}).")
  Duration etcdWait;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "${env:SWITCHBOARD_METRICS_PORT:-0}",
      description =
          "Serve /metrics (Prometheus text) on this port of the --listen host; 0: none "
              + "(env SWITCHBOARD_METRICS_PORT; default ${DEFAULT-VALUE}). Traces and metrics are "
              + "exported by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.")
  int metricsPort;

  @Option(
      names = "--health-port",
      paramLabel = "PORT",
      defaultValue = "${env:SWITCHBOARD_HEALTH_PORT:-0}",
      description =
          "Also serve grpc.health.v1.Health alone, in plaintext, on this port of the --listen "
              + "host, for probes that cannot speak TLS (Kubernetes' grpc: probe); 0: none "
              + "(env SWITCHBOARD_HEALTH_PORT; default ${DEFAULT-VALUE}).")
  int healthPort;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_TLS_CERT}",
      description =
          "The server certificate (PEM) of the gRPC port; reloaded when the file changes (env SWITCHBOARD_TLS_CERT).")
  String tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_TLS_KEY}",
      description = "Its private key (PEM, PKCS#8) (env SWITCHBOARD_TLS_KEY).")
  String tlsKey;

  @Option(
      names = "--client-ca",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_CLIENT_CA}",
      description =
          "CA bundle (PEM) that signs node and load balancer client certificates; Discovery "
              + "requires one, Admin clients may connect without (env SWITCHBOARD_CLIENT_CA).")
  String clientCa;

  @Option(
      names = "--admin-tokens",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_ADMIN_TOKENS}",
      description =
          "Admin API bearer tokens, one 'token,user,role' a line, role viewer or editor; "
              + "'#' comments (env SWITCHBOARD_ADMIN_TOKENS).")
  String adminTokens;

  @Option(
      names = "--insecure",
      defaultValue = "${env:SWITCHBOARD_INSECURE:-false}",
      description =
          "Serve plaintext with no authentication at all. Without it, --tls-cert, --tls-key, "
              + "--client-ca and --admin-tokens are required (env SWITCHBOARD_INSECURE).")
  boolean insecure;

  @Option(
      names = "--tls-reload-interval",
      defaultValue = "${env:SWITCHBOARD_TLS_RELOAD_INTERVAL:-10s}",
      converter = Flags.DurationConverter.class,
      description =
          "How often certificate, key and CA files are checked for changes (default ${DEFAULT-VALUE}).")
  Duration tlsReloadInterval;

  @Option(
      names = "--etcd-cacert",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_ETCD_CACERT}",
      description =
          "CA bundle verifying https etcd endpoints (default: the JVM's CAs) (env SWITCHBOARD_ETCD_CACERT).")
  String etcdCacert;

  @Option(
      names = "--etcd-cert",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_ETCD_CERT}",
      description = "Client certificate for etcd (PEM) (env SWITCHBOARD_ETCD_CERT).")
  String etcdCert;

  @Option(
      names = "--etcd-key",
      paramLabel = "FILE",
      defaultValue = "${env:SWITCHBOARD_ETCD_KEY}",
      description = "Its private key (PEM, PKCS#8) (env SWITCHBOARD_ETCD_KEY).")
  String etcdKey;

  public static void main(String[] args) {
    System.exit(run(new java.io.PrintWriter(System.err, true), args));
  }

  /**
   * Runs the command; a bad flag is one line on {@code err} and exit 2, a failure one line and 1.
   */
  static int run(java.io.PrintWriter err, String... args) {
    return Flags.run("switchboard-control-plane", new Main(), err, args);
  }

  @Override
  public Integer call() throws Exception {
    HostPort hostPort = Flags.hostPort("--listen", listen, 0);
    ControlPlaneConfig config =
        new ControlPlaneConfig(
            etcdEndpoints,
            keyPrefix,
            hostPort.host(),
            hostPort.port(),
            serviceCidr,
            nodePortRange,
            lbPools,
            nodeLeaseTtl,
            Duration.ofSeconds(5),
            etcdWait);
    Flags.port("--metrics-port", metricsPort);
    Flags.port("--health-port", healthPort);
    Security security;
    try {
      security = security();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Telemetry telemetry = Telemetry.fromEnvironment("switchboard-control-plane");
    ControlPlane controlPlane;
    MetricsServer metrics = null;
    try {
      controlPlane = ControlPlane.start(config, telemetry, security.controlPlane());
      if (healthPort != 0) {
        try {
          controlPlane.serveHealthPlaintext(new InetSocketAddress(hostPort.host(), healthPort));
        } catch (IOException e) {
          controlPlane.close();
          throw new IOException("--health-port " + healthPort + ": " + e.getMessage(), e);
        }
      }
      if (metricsPort != 0) {
        try {
          metrics =
              MetricsServer.start(new InetSocketAddress(hostPort.host(), metricsPort), telemetry);
        } catch (IOException e) {
          controlPlane.close();
          throw e;
        }
      }
    } catch (IllegalArgumentException e) {
      telemetry.close();
      security.close();
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    } catch (Exception e) {
      telemetry.close();
      security.close();
      throw e;
    }
    MetricsServer metricsServer = metrics;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (metricsServer != null) {
                    metricsServer.close();
                  }
                  controlPlane.close();
                  security.close();
                  telemetry.close(); // last: flushes the spans of the shutdown too
                  stopped.countDown();
                },
                "shutdown"));
    System.out.println(
        "switchboard-control-plane: serving on "
            + hostPort.host()
            + ":"
            + controlPlane.port()
            + (security.controlPlane().secure() ? " (TLS)" : " (PLAINTEXT, --insecure)"));
    stopped.await();
    return 0;
  }

  /** The security flags, checked and their files loaded (also what the manifest tests run). */
  Security security() {
    return Security.fromFlags(
        new Security.Flags(
            tlsCert,
            tlsKey,
            clientCa,
            adminTokens,
            insecure,
            tlsReloadInterval,
            etcdEndpoints,
            etcdCacert,
            etcdCert,
            etcdKey));
  }
}
