package dev.switchboard.launcher;

/** The one summary a user reads after start: where everything is, and what to try. */
final class Summaries {
  /** The line tests and scripts wait for. */
  static final String READY_LINE = "switchboard is running (Ctrl-C stops it)";

  private Summaries() {}

  static String render(LocalCluster.Summary s, LaunchOptions options) {
    StringBuilder b = new StringBuilder();
    b.append(READY_LINE).append('\n');
    b.append(String.format("  %-15s http://127.0.0.1:%d%n", "etcd", s.etcdPort()));
    b.append(
        String.format(
            "  %-15s 127.0.0.1:%d   (Admin + Discovery gRPC, health, reflection)%n",
            "control plane", s.controlPlanePort()));
    if (options.controlPlaneMetricsPort() != 0) {
      b.append(
          String.format(
              "  %-15s http://127.0.0.1:%d/metrics%n", "", options.controlPlaneMetricsPort()));
    }
    for (String node : s.nodes()) {
      String[] nameAddress = node.split(" ");
      b.append(
          String.format(
              "  %-15s %s   (http://%s:%d/healthz, /readyz, /metrics%s)%n",
              nameAddress[0],
              nameAddress[1],
              nameAddress[1],
              options.agentAdminPort(),
              options.agentDnsPort() == 0 ? "" : "; DNS :" + options.agentDnsPort()));
    }
    b.append(String.format("  %-15s LoadBalancer IPs from 127.0.2.0/24%n", "cloud-lb"));
    if (options.lbMetricsPort() != 0) {
      b.append(String.format("  %-15s http://127.0.0.1:%d/metrics%n", "", options.lbMetricsPort()));
    }
    if (!options.otlpEndpoint().isEmpty()) {
      b.append(
          String.format(
              "  %-15s traces and metrics to %s (OTLP %s)%n",
              "telemetry", options.otlpEndpoint(), options.otlpProtocol()));
    }
    if (s.pki() == null) {
      b.append(
          String.format(
              "  %-15s OFF (--insecure): plaintext, no certificates, no tokens%n", "security"));
    } else {
      b.append(
          String.format(
              "  %-15s TLS on: CA %s, Discovery mTLS, Admin tokens in %s%n",
              "security", s.pki().caCert(), s.pki().tokenFile()));
    }
    b.append(String.format("  %-15s %s%n", "logs", options.stateDir().resolve("logs")));
    b.append(
        String.format(
            "  %-15s %s (bin/sbctl reads it: no flags needed)%n",
            "sbctl", options.stateDir().resolve(SbctlEnv.FILE)));
    String server = "";
    if (s.demo() != null) {
      Demo.Status d = s.demo();
      String[] header = {"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)"};
      String[] row = {
        "demo",
        "LoadBalancer",
        d.clusterIp(),
        d.externalIp(),
        d.port() + ":" + d.nodePort() + "/TCP"
      };
      b.append('\n').append(table(header, row));
      String lb = "curl http://" + d.externalIp() + "/";
      String nodePort = "curl http://127.0.1.1:" + d.nodePort() + "/";
      String clusterIp = "curl http://" + d.clusterIp() + "/";
      int w = Math.max(lb.length(), Math.max(nodePort.length(), clusterIp.length())) + 2;
      b.append('\n').append("Try it:\n");
      b.append(String.format("  %-" + w + "s# the load balancer (EXTERNAL-IP)%n", lb));
      b.append(
          String.format("  %-" + w + "s# the NodePort on node-1 (any node works)%n", nodePort));
      b.append(String.format("  %-" + w + "s# the ClusterIP%n", clusterIp));
      if (options.agentDnsPort() != 0) {
        b.append(
            String.format(
                "  %s%n    # the ClusterIP by name, from node-1's cluster DNS%n",
                dig(options, "demo.default.svc.cluster.local")));
      }
    } else {
      b.append('\n').append("Try it:\n");
    }
    b.append("  ").append(server).append("bin/sbctl get svc\n");
    b.append("  ").append(server).append("bin/sbctl get pods -o wide\n");
    b.append("  ").append(server).append("bin/sbctl get nodes\n");
    b.append("  ").append(server).append("bin/sbctl apply -f my-service.yaml\n");
    return b.toString();
  }

  /** A {@code dig} line asking node-1's cluster DNS. */
  static String dig(LaunchOptions options, String name) {
    return "dig @127.0.1.1 -p " + options.agentDnsPort() + " +short " + name;
  }

  /** kubectl-style columns: each as wide as its widest cell, three spaces apart. */
  static String table(String[] header, String[] row) {
    StringBuilder b = new StringBuilder();
    for (String[] line : new String[][] {header, row}) {
      for (int i = 0; i < line.length; i++) {
        int width = Math.max(header[i].length(), row[i].length());
        b.append(i == line.length - 1 ? line[i] : String.format("%-" + (width + 3) + "s", line[i]));
      }
      b.append('\n');
    }
    return b.toString();
  }
}
