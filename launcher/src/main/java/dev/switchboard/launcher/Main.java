package dev.switchboard.launcher;

import dev.switchboard.checks.FlagException;
import dev.switchboard.checks.Flags;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/run-local}: a whole Switchboard cluster on this machine's loopback, until Ctrl-C (or
 * SIGTERM), which stops everything it started, in reverse order.
 */
@Command(
    name = "run-local",
    mixinStandardHelpOptions = true,
    version = "switchboard 0.1.0",
    description = "Runs etcd, a control plane, node agents, cloud-lb and a demo app on loopback.")
public final class Main implements Callable<Integer> {
  @Option(
      names = "--nodes",
      defaultValue = "3",
      description = "Node agents to start, on 127.0.1.1..N (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--no-demo", description = "Start only the mesh: no demo app, no demo service.")
  boolean noDemo;

  @Option(
      names = "--state-dir",
      defaultValue = "${env:SWITCHBOARD_STATE_DIR:-.state}",
      description = "etcd data and logs; reused by the next run (default ${DEFAULT-VALUE}).")
  Path stateDir;

  @Option(
      names = "--control-plane-port",
      defaultValue = "9440",
      description = "The control plane's gRPC port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
  int controlPlanePort;

  @Option(
      names = "--etcd-port",
      defaultValue = "0",
      description =
          "etcd's client port on 127.0.0.1 (default: 2379 when free, else any free port).")
  int etcdPort;

  @Option(
      names = "--agent-admin-port",
      defaultValue = "10256",
      description =
          "Each agent's /healthz and /readyz port on its node address (default ${DEFAULT-VALUE}).")
  int agentAdminPort;

  @Option(
      names = "--agent-dns-port",
      defaultValue = "10053",
      description =
          "Each agent's cluster DNS port (UDP and TCP) on its node address; 0: off "
              + "(default ${DEFAULT-VALUE}).")
  int agentDnsPort;

  @Option(
      names = "--otlp-endpoint",
      paramLabel = "URL",
      defaultValue = "${env:OTEL_EXPORTER_OTLP_ENDPOINT:-}",
      description =
          "Export every component's traces and metrics by OTLP to this collector, e.g. "
              + "http://127.0.0.1:4317 (sets OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, ... for each; "
              + "default: no export).")
  String otlpEndpoint;

  @Option(
      names = "--otlp-protocol",
      defaultValue = "grpc",
      description = "grpc (port 4317) or http/protobuf (port 4318) (default ${DEFAULT-VALUE}).")
  String otlpProtocol;

  @Option(
      names = "--control-plane-metrics-port",
      defaultValue = "9464",
      description =
          "The control plane's /metrics port on 127.0.0.1; 0: none (default ${DEFAULT-VALUE}).")
  int controlPlaneMetricsPort;

  @Option(
      names = "--lb-metrics-port",
      defaultValue = "9465",
      description = "cloud-lb's /metrics port on 127.0.0.1; 0: none (default ${DEFAULT-VALUE}).")
  int lbMetricsPort;

  @Option(
      names = "--insecure",
      description =
          "Run every component in plaintext, without certificates or tokens. Default: TLS "
              + "with the cluster's own CA, made on the first run under STATE-DIR/pki.")
  boolean insecure;

  private final PrintStream out;

  Main(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(
        Flags.run("switchboard", new Main(System.out), new PrintWriter(System.err, true), args));
  }

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 50) {
      throw new FlagException("--nodes", String.valueOf(nodes), "1-50");
    }
    if (!otlpProtocol.equals("grpc") && !otlpProtocol.equals("http/protobuf")) {
      throw new FlagException("--otlp-protocol", otlpProtocol, "grpc or http/protobuf");
    }
    if (!otlpEndpoint.isBlank() && !otlpEndpoint.matches("https?://[^\\s/]+(/.*)?")) {
      throw new FlagException(
          "--otlp-endpoint", otlpEndpoint, "a URL such as http://127.0.0.1:4317");
    }
    LaunchOptions options =
        new LaunchOptions(
            nodes,
            !noDemo,
            stateDir.toAbsolutePath(),
            controlPlanePort,
            etcdPort,
            agentAdminPort,
            otlpEndpoint.trim(),
            otlpProtocol,
            controlPlaneMetricsPort,
            lbMetricsPort,
            insecure,
            agentDnsPort);
    LocalCluster cluster = new LocalCluster(options, out);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              out.println("switchboard: stopping ...");
              cluster.close();
              out.println("switchboard: stopped");
              stopped.countDown();
            },
            "stop");
    Runtime.getRuntime().addShutdownHook(hook);
    LocalCluster.Summary summary;
    try {
      summary = cluster.start();
    } catch (LaunchException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      cluster.close();
      throw e;
    }
    out.println();
    out.print(Summaries.render(summary, options));
    out.flush();
    stopped.await();
    return 0;
  }
}
