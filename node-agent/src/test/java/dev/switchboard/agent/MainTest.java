package dev.switchboard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {

  private static String[] run(int expectedExit, String... args) {
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isEqualTo(expectedExit);
    return err.toString().split("\n");
  }

  @Test
  void badFlagsGiveOneClearLineAndExitCode2() {
    assertThat(run(2, "--node-address", "127.0.1.1"))
        .containsExactly(
            "node-agent: --node-name: required (or set SWITCHBOARD_NODE_NAME) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "localhost"))
        .containsExactly(
            "node-agent: --node-address: localhost (expected: an IP address, e.g. 127.0.1.1) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--control-plane", "cp"))
        .containsExactly(
            "node-agent: --control-plane: cp (expected: HOST:PORT with PORT 1-65535, e.g. 127.0.0.1:9440) (see --help)");
    assertThat(
            run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--cluster-ip-mode", "nat"))
        .containsExactly(
            "node-agent: --cluster-ip-mode: nat (expected: local or route) (see --help)");
    assertThat(
            run(
                2,
                "--node-name",
                "n1",
                "--node-address",
                "127.0.1.1",
                "--service-cidr",
                "10.96.0.0/12"))
        .containsExactly(
            "node-agent: --service-cidr: 10.96.0.0/12 (expected: inside 127.0.0.0/8 in local mode; "
                + "use --cluster-ip-mode route for another range) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--proxy-mode", "ipvs"))
        .containsExactly(
            "node-agent: --proxy-mode: ipvs (expected: userspace or nftables) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--admin-port", "70000"))
        .containsExactly("node-agent: --admin-port: 70000 (expected: 0-65535) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--labels", "zone"))
        .containsExactly(
            "node-agent: --labels: zone (expected: KEY=VALUE pairs separated by commas, with Kubernetes label syntax) (see --help)");
    assertThat(
            run(
                2,
                "--node-name",
                "n1",
                "--node-address",
                "127.0.1.1",
                "--min-sync-interval",
                "fast"))
        .containsExactly(
            "node-agent: --min-sync-interval: fast (expected: a duration such as 500ms, 10s, 2m or 1h) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1"))
        .containsExactly(
            "node-agent: TLS is required: missing --tls-ca, --tls-cert, --tls-key (or pass --insecure to "
                + "connect in plaintext without certificates) (see --help)");
    assertThat(
            run(
                2,
                "--node-name",
                "n1",
                "--node-address",
                "127.0.1.1",
                "--insecure",
                "--tls-ca",
                "ca.pem"))
        .containsExactly(
            "node-agent: --insecure: cannot be combined with --tls-ca (expected: TLS flags, "
                + "or --insecure alone) (see --help)");
    assertThat(
            run(
                2,
                "--node-name",
                "n1",
                "--node-address",
                "127.0.1.1",
                "--tls-ca",
                "/nonexistent/ca.pem",
                "--tls-cert",
                "/nonexistent/n.crt",
                "--tls-key",
                "/nonexistent/n.key"))
        .containsExactly("node-agent: /nonexistent/n.crt: no such file (see --help)");
    assertThat(run(2, "--bogus"))
        .hasSize(1)
        .allMatch(l -> l.startsWith("node-agent: Unknown option: '--bogus'"));
  }

  @Test
  void goodFlagsMakeTheConfig() {
    Main main = new Main();
    new picocli.CommandLine(main)
        .parseArgs(
            "--node-name",
            "n1",
            "--node-address",
            "127.0.1.1",
            "--control-plane",
            "127.0.0.1:9440",
            "--cluster-ip-mode",
            "route",
            "--labels",
            "zone=a,rack=r1",
            "--admin-port",
            "10300",
            "--min-sync-interval",
            "250ms",
            "--resync-interval",
            "1m",
            "--proxy-mode",
            "nftables");
    AgentConfig c = main.toConfig();
    assertThat(c.nodeName()).isEqualTo("n1");
    assertThat(c.nodeAddress().getHostAddress()).isEqualTo("127.0.1.1");
    assertThat(c.clusterIpMode()).isEqualTo(ClusterIpMode.ROUTE);
    assertThat(c.serviceCidr()).isEqualTo("10.96.0.0/12");
    assertThat(c.labels()).containsEntry("zone", "a").containsEntry("rack", "r1");
    assertThat(c.adminPort()).isEqualTo(10300);
    assertThat(c.minSyncInterval()).hasMillis(250);
    assertThat(c.resyncInterval()).hasSeconds(60);
    assertThat(c.proxyMode()).isEqualTo(ProxyMode.NFTABLES);
  }

  @Test
  void theProxyModeDefaultsToUserspace() {
    Main main = new Main();
    new picocli.CommandLine(main).parseArgs("--node-name", "n1", "--node-address", "127.0.1.1");
    assertThat(main.toConfig().proxyMode()).isEqualTo(ProxyMode.USERSPACE);
  }

  @Test
  void dnsFlags() {
    Main main = new Main();
    new picocli.CommandLine(main).parseArgs("--node-name", "n1", "--node-address", "127.0.1.1");
    assertThat(main.toConfig().dns())
        .isEqualTo(new dev.switchboard.agent.dns.DnsConfig(10053, "cluster.local", 5));
    main = new Main();
    new picocli.CommandLine(main)
        .parseArgs(
            "--node-name",
            "n1",
            "--node-address",
            "127.0.1.1",
            "--dns-port",
            "5353",
            "--dns-zone",
            "Example.Internal.",
            "--dns-ttl",
            "30s");
    assertThat(main.toConfig().dns())
        .isEqualTo(new dev.switchboard.agent.dns.DnsConfig(5353, "example.internal", 30));
    main = new Main();
    new picocli.CommandLine(main)
        .parseArgs("--node-name", "n1", "--node-address", "127.0.1.1", "--dns-port", "0");
    assertThat(main.toConfig().dns().enabled()).isFalse();
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--dns-port", "-1"))
        .containsExactly("node-agent: --dns-port: -1 (expected: 0-65535) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--dns-zone", "a..b"))
        .containsExactly(
            "node-agent: --dns-zone: a..b (expected: a domain name such as cluster.local) (see --help)");
    assertThat(run(2, "--node-name", "n1", "--node-address", "127.0.1.1", "--dns-ttl", "1500ms"))
        .containsExactly(
            "node-agent: --dns-ttl: 1500ms (expected: whole seconds, 0s-1h, e.g. 5s) (see --help)");
    main = new Main();
    new picocli.CommandLine(main)
        .parseArgs(
            "--node-name",
            "n1",
            "--node-address",
            "127.0.1.1",
            "--dns-upstream",
            "127.0.0.53, 10.0.0.2:5353");
    assertThat(main.toConfig().dns().upstreams())
        .containsExactly(
            new java.net.InetSocketAddress("127.0.0.53", 53),
            new java.net.InetSocketAddress("10.0.0.2", 5353));
    assertThat(
            run(
                2,
                "--node-name",
                "n1",
                "--node-address",
                "127.0.1.1",
                "--dns-upstream",
                "dns.google"))
        .containsExactly(
            "node-agent: --dns-upstream: dns.google (expected: IP or IP:PORT, comma-separated, e.g. 127.0.0.53 "
                + "or 10.0.0.2:53) (see --help)");
  }
}
