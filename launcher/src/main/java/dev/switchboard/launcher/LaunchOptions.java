package dev.switchboard.launcher;

import dev.switchboard.agent.dns.DnsConfig;
import java.nio.file.Path;

/**
 * What to start.
 *
 * @param etcdPort 0: 2379 when free, else any free port
 * @param otlpEndpoint where every component exports traces and metrics (OTLP); empty: nowhere
 * @param otlpProtocol {@code grpc} or {@code http/protobuf}
 * @param controlPlaneMetricsPort /metrics of the control plane on 127.0.0.1; 0: none
 * @param lbMetricsPort /metrics of cloud-lb on 127.0.0.1; 0: none
 * @param insecure plaintext and no authentication between the components (default: TLS, mTLS,
 *     tokens, from the cluster's own CA under {@code <stateDir>/pki})
 * @param agentDnsPort each agent's cluster DNS port (UDP and TCP) on its node address; 0: off
 */
record LaunchOptions(
    int nodes,
    boolean demo,
    Path stateDir,
    int controlPlanePort,
    int etcdPort,
    int agentAdminPort,
    String otlpEndpoint,
    String otlpProtocol,
    int controlPlaneMetricsPort,
    int lbMetricsPort,
    boolean insecure,
    int agentDnsPort) {

  LaunchOptions(
      int nodes,
      boolean demo,
      Path stateDir,
      int controlPlanePort,
      int etcdPort,
      int agentAdminPort) {
    this(
        nodes,
        demo,
        stateDir,
        controlPlanePort,
        etcdPort,
        agentAdminPort,
        "",
        "grpc",
        0,
        0,
        false,
        DnsConfig.DEFAULT_LOCAL_PORT);
  }
}
