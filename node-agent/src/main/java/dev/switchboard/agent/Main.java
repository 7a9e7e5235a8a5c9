package dev.switchboard.agent;

import dev.switchboard.agent.dns.DnsConfig;
import dev.switchboard.agent.nft.Nft;
import dev.switchboard.agent.nft.NftLeftover;
import dev.switchboard.agent.nft.NftProxier;
import dev.switchboard.agent.nft.NftRuleset;
import dev.switchboard.checks.Flags;
import dev.switchboard.discovery.client.ExponentialBackoff;
import dev.switchboard.discovery.client.IpLiterals;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.tls.ClientTlsOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code node-agent}: the command line. Every flag can also come from its environment variable. */
@Command(
    name = "node-agent",
    mixinStandardHelpOptions = true,
    version = "switchboard node-agent 0.1.0",
    sortOptions = false,
    description =
        "Follows the Switchboard control plane and forwards this node's NodePorts and "
            + "the cluster's ClusterIPs to the services' endpoints.")
public final class Main implements Callable<Integer> {
  private static final Pattern HOST_PORT =
      Pattern.compile("^(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]]+):(\\d{1,5})$");
  private static final Pattern CIDR = Pattern.compile("^(\\d{1,3}(?:\\.\\d{1,3}){3})/(\\d{1,2})$");
  private static final Pattern LABEL_KEY =
      Pattern.compile("^([a-z0-9A-Z.-]{1,253}/)?[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?$");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("^([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?)?$");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--node-name",
      paramLabel = "NAME",
      defaultValue = "${env:SWITCHBOARD_NODE_NAME}",
      description =
          "This node's name, as pods' nodeName says it (env SWITCHBOARD_NODE_NAME). Required.")
  String nodeName;

  @Option(
      names = "--node-address",
      paramLabel = "IP",
      defaultValue = "${env:SWITCHBOARD_NODE_ADDRESS}",
      description =
          "IP address for NodePorts, health check ports and the admin port "
              + "(env SWITCHBOARD_NODE_ADDRESS). Required.")
  String nodeAddress;

  @Option(
      names = "--control-plane",
      paramLabel = "HOST:PORT",
      defaultValue = "${env:SWITCHBOARD_CONTROL_PLANE:-127.0.0.1:9440}",
      description =
          "The control plane's gRPC address (env SWITCHBOARD_CONTROL_PLANE). Default: ${DEFAULT-VALUE}.")
  String controlPlane;

  @Option(
      names = "--cluster-ip-mode",
      paramLabel = "local|route",
      defaultValue = "${env:SWITCHBOARD_CLUSTER_IP_MODE:-local}",
      description =
          "local: ClusterIPs are in 127.0.0.0/8 and bound directly, shared by the agents of a "
              + "host with SO_REUSEPORT. route: run `ip route add local CIDR dev lo` once (root or "
              + "CAP_NET_ADMIN), then bind (env SWITCHBOARD_CLUSTER_IP_MODE). Default: ${DEFAULT-VALUE}.")
  String clusterIpMode;

  @Option(
      names = "--service-cidr",
      paramLabel = "CIDR",
      defaultValue = "${env:SWITCHBOARD_SERVICE_CIDR}",
      description =
          "The service CIDR (env SWITCHBOARD_SERVICE_CIDR). Default: 127.96.0.0/16 in local "
              + "mode, 10.96.0.0/12 in route mode.")
  String serviceCidr;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "${env:SWITCHBOARD_ADMIN_PORT:-10256}",
      description =
          "Port for /healthz, /readyz, /statusz and /metrics on the node address "
              + "(env SWITCHBOARD_ADMIN_PORT). Default: ${DEFAULT-VALUE}.")
  String adminPort;

  @Option(
      names = "--labels",
      paramLabel = "K=V[,K=V...]",
      defaultValue = "${env:SWITCHBOARD_LABELS:-}",
      description = "The node's labels (env SWITCHBOARD_LABELS).")
  String labels;

  @Option(
      names = "--min-sync-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:SWITCHBOARD_MIN_SYNC_INTERVAL:-100ms}",
      description =
          "Syncs start at least this far apart; changes in between merge "
              + "(env SWITCHBOARD_MIN_SYNC_INTERVAL). Default: ${DEFAULT-VALUE}.")
  String minSyncInterval;

  @Option(
      names = "--resync-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:SWITCHBOARD_RESYNC_INTERVAL:-30s}",
      description =
          "A sync also runs this long after the last one, retrying listeners that failed "
              + "to bind (env SWITCHBOARD_RESYNC_INTERVAL). Default: ${DEFAULT-VALUE}.")
  String resyncInterval;

  @Option(
      names = "--proxy-mode",
      paramLabel = "userspace|nftables",
      defaultValue = "${env:SWITCHBOARD_PROXY_MODE:-userspace}",
      description =
          "userspace: every port through the agent's forwarder. nftables: the kernel "
              + "forwards what it can (table ip switchboard; needs the nft tool and CAP_NET_ADMIN), ports "
              + "with appProtocol http, h2c or grpc (balanced per call) or PROXY protocol stay in "
              + "userspace (env SWITCHBOARD_PROXY_MODE). "
              + "Default: ${DEFAULT-VALUE}.")
  String proxyMode;

  @Option(
      names = "--cleanup",
      description = "Delete the nftables table the agent programs (table ip switchboard) and exit.")
  boolean cleanup;

  @Option(
      names = "--dns-port",
      paramLabel = "PORT",
      defaultValue = "${env:SWITCHBOARD_DNS_PORT:-10053}",
      description =
          "Cluster DNS (UDP and TCP) on the node address; 0 turns it off "
              + "(env SWITCHBOARD_DNS_PORT). Default: ${DEFAULT-VALUE}.")
  String dnsPort;

  @Option(
      names = "--dns-address",
      paramLabel = "IP",
      defaultValue = "${env:SWITCHBOARD_DNS_ADDRESS:-}",
      description =
          "Where cluster DNS listens; empty: the node address. In Kubernetes the cluster "
              + "DNS address pods are given (kubelet clusterDNS): the service CIDR's first address, "
              + "e.g. 10.112.0.1, never handed to a service and local on every node in route mode "
              + "(env SWITCHBOARD_DNS_ADDRESS).")
  String dnsAddress;

  @Option(
      names = "--dns-zone",
      paramLabel = "DOMAIN",
      defaultValue = "${env:SWITCHBOARD_DNS_ZONE:-cluster.local}",
      description =
          "The cluster domain DNS answers for (env SWITCHBOARD_DNS_ZONE). Default: ${DEFAULT-VALUE}.")
  String dnsZone;

  @Option(
      names = "--dns-ttl",
      paramLabel = "DURATION",
      defaultValue = "${env:SWITCHBOARD_DNS_TTL:-5s}",
      description =
          "TTL of DNS answers, whole seconds (env SWITCHBOARD_DNS_TTL). Default: ${DEFAULT-VALUE}.")
  String dnsTtl;

  @Option(
      names = "--dns-upstream",
      paramLabel = "IP[:PORT][,...]",
      defaultValue = "${env:SWITCHBOARD_DNS_UPSTREAM:-}",
      description =
          "Resolvers asked, in order, the names outside the cluster zone (UDP; port 53 "
              + "unless given); none answering: SERVFAIL. Empty: such names are REFUSED "
              + "(env SWITCHBOARD_DNS_UPSTREAM).")
  String dnsUpstream;

  @CommandLine.Mixin ClientTlsOptions tls = new ClientTlsOptions();

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.err, true)));
  }

  /**
   * Parses, validates and runs; returns the exit code. Bad input: one line on {@code err}, exit 2.
   */
  static int run(String[] args, PrintWriter err) {
    return Flags.run("node-agent", new Main(), err, args);
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (cleanup) {
      // Deleting a table of 100,000 chains takes the kernel a while on a busy node.
      String error = new NftProxier(Nft.system(Duration.ofMinutes(15))).cleanup();
      if (!error.isEmpty()) {
        throw new IllegalStateException(
            "--cleanup: cannot delete table ip " + NftRuleset.TABLE + ": " + error);
      }
      spec.commandLine()
          .getOut()
          .println("node-agent: table ip " + NftRuleset.TABLE + " deleted (or absent)");
      return 0;
    }
    AgentConfig config = toConfig();
    ClientTlsOptions.ClientTls security;
    try {
      security = tls.open();
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    // Export by the standard OTEL_* variables; none set: no export (metrics still at /metrics).
    Telemetry telemetry = Telemetry.fromEnvironment("switchboard-node-agent");
    if (config.proxyMode() == ProxyMode.USERSPACE
        && config.clusterIpMode() == ClusterIpMode.ROUTE) {
      // A table an earlier agent in nftables mode left would keep translating in the kernel. Only
      // an agent that owns its node does this: in local mode several agents share one host
      // (bin/run-local starts three, as root on a dev box too), and none of them owns the host's
      // tables, which may even be a deployed agent's.
      NftLeftover.removeForUserspaceMode(Duration.ofMinutes(15));
    }
    NodeAgent agent;
    try {
      agent = NodeAgent.start(config, telemetry, security.credentials());
    } catch (IOException | RuntimeException e) {
      telemetry.close();
      security.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  security.close();
                  telemetry.close();
                  stopped.countDown();
                },
                "switchboard-shutdown"));
    stopped.await();
    return 0;
  }

  /**
   * The validated configuration; a bad value throws a {@link ParameterException} or a {@link
   * dev.switchboard.checks.FlagException} naming it.
   */
  AgentConfig toConfig() {
    if (blank(nodeName)) {
      throw bad("--node-name: required (or set SWITCHBOARD_NODE_NAME)");
    }
    if (blank(nodeAddress)) {
      throw bad("--node-address: required (or set SWITCHBOARD_NODE_ADDRESS)");
    }
    InetAddress address =
        IpLiterals.parse(nodeAddress.trim())
            .orElseThrow(
                () ->
                    bad(
                        "--node-address: "
                            + nodeAddress
                            + " (expected: an IP address, e.g. 127.0.1.1)"));
    String target = Flags.hostPort("--control-plane", controlPlane, 1).toString();
    ClusterIpMode mode =
        switch (clusterIpMode.trim().toLowerCase(Locale.ROOT)) {
          case "local" -> ClusterIpMode.LOCAL;
          case "route" -> ClusterIpMode.ROUTE;
          default ->
              throw bad("--cluster-ip-mode: " + clusterIpMode + " (expected: local or route)");
        };
    String cidr =
        blank(serviceCidr)
            ? (mode == ClusterIpMode.LOCAL
                ? AgentConfig.LOCAL_SERVICE_CIDR
                : AgentConfig.CLUSTER_SERVICE_CIDR)
            : serviceCidr.trim();
    checkCidr(cidr, mode);
    ProxyMode proxy =
        switch (proxyMode.trim().toLowerCase(Locale.ROOT)) {
          case "userspace" -> ProxyMode.USERSPACE;
          case "nftables" -> ProxyMode.NFTABLES;
          default -> throw bad("--proxy-mode: " + proxyMode + " (expected: userspace or nftables)");
        };
    int port = parsePort("--admin-port", adminPort);
    Duration min = parseDuration("--min-sync-interval", minSyncInterval);
    Duration resync = parseDuration("--resync-interval", resyncInterval);
    if (resync.isZero() || resync.compareTo(min) < 0) {
      throw bad(
          "--resync-interval: "
              + resyncInterval
              + " (expected: > 0 and >= --min-sync-interval "
              + minSyncInterval
              + ")");
    }
    return AgentConfig.local(nodeName.trim(), address, target)
        .withClusterIps(mode, cidr)
        .withAdminPort(port)
        .withLabels(parseLabels(labels))
        .withSyncIntervals(min, resync)
        .withProxyMode(proxy)
        .withBackoff(ExponentialBackoff.standard(AgentConfig.DEFAULT_RECONNECT_MAX))
        .withDns(dnsConfig());
  }

  private DnsConfig dnsConfig() {
    int port = parsePort("--dns-port", dnsPort);
    String zone = dnsZone.trim().toLowerCase(Locale.ROOT);
    zone = zone.endsWith(".") ? zone.substring(0, zone.length() - 1) : zone;
    Duration ttl = parseDuration("--dns-ttl", dnsTtl);
    if (ttl.toMillis() % 1000 != 0 || ttl.toSeconds() > 3600) {
      throw bad("--dns-ttl: " + dnsTtl + " (expected: whole seconds, 0s-1h, e.g. 5s)");
    }
    List<InetSocketAddress> upstreams = parseUpstreams(dnsUpstream);
    InetAddress address = dnsAddress();
    try {
      return new DnsConfig(port, zone, (int) ttl.toSeconds(), upstreams, address);
    } catch (IllegalArgumentException e) {
      throw bad("--dns-zone: " + dnsZone + " (expected: a domain name such as cluster.local)");
    }
  }

  /** Null when blank (the node address). */
  private InetAddress dnsAddress() {
    if (blank(dnsAddress)) {
      return null;
    }
    return IpLiterals.parse(dnsAddress.trim())
        .orElseThrow(
            () ->
                bad(
                    "--dns-address: "
                        + dnsAddress
                        + " (expected: an IP address, e.g. 10.112.0.1: the service CIDR's first address)"));
  }

  private void checkCidr(String cidr, ClusterIpMode mode) {
    Matcher m = CIDR.matcher(cidr);
    if (!m.matches()
        || IpLiterals.parse(m.group(1)).isEmpty()
        || Integer.parseInt(m.group(2)) > 32) {
      throw bad("--service-cidr: " + cidr + " (expected: an IPv4 CIDR, e.g. 10.96.0.0/12)");
    }
    if (mode == ClusterIpMode.LOCAL
        && (!m.group(1).startsWith("127.") || Integer.parseInt(m.group(2)) < 8)) {
      throw bad(
          "--service-cidr: "
              + cidr
              + " (expected: inside 127.0.0.0/8 in local mode; "
              + "use --cluster-ip-mode route for another range)");
    }
  }

  private int parsePort(String flag, String text) {
    return Flags.port(flag, text);
  }

  private List<InetSocketAddress> parseUpstreams(String text) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String item : blank(text) ? new String[0] : text.split(",")) {
      String entry = item.trim();
      Matcher hp = HOST_PORT.matcher(entry);
      String host = hp.matches() ? hp.group(1).replaceAll("^\\[|]$", "") : entry;
      int port = hp.matches() ? Integer.parseInt(hp.group(2)) : 53;
      InetAddress ip = IpLiterals.parse(host).orElse(null);
      if (ip == null || port < 1 || port > 65535) {
        throw bad(
            "--dns-upstream: "
                + entry
                + " (expected: IP or IP:PORT, comma-separated, "
                + "e.g. 127.0.0.53 or 10.0.0.2:53)");
      }
      out.add(new InetSocketAddress(ip, port));
    }
    return out;
  }

  private Duration parseDuration(String flag, String text) {
    return Flags.duration(flag, text);
  }

  private Map<String, String> parseLabels(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (blank(text)) {
      return out;
    }
    for (String pair : text.split(",")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
      String value = eq < 0 ? null : pair.substring(eq + 1).trim();
      if (value == null
          || !LABEL_KEY.matcher(key).matches()
          || !LABEL_VALUE.matcher(value).matches()) {
        throw bad(
            "--labels: "
                + pair.trim()
                + " (expected: KEY=VALUE pairs separated by commas, "
                + "with Kubernetes label syntax)");
      }
      out.put(key, value);
    }
    return out;
  }

  private ParameterException bad(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
