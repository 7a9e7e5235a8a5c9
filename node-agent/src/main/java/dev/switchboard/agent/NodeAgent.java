package dev.switchboard.agent;

import dev.switchboard.agent.dns.DnsServer;
import dev.switchboard.agent.health.AdminServer;
import dev.switchboard.agent.health.HealthCheckServers;
import dev.switchboard.agent.nft.Conntrack;
import dev.switchboard.agent.nft.NftPreflight;
import dev.switchboard.agent.nft.NftProxier;
import dev.switchboard.agent.nft.NftSession;
import dev.switchboard.agent.probe.PodProber;
import dev.switchboard.agent.proxier.ClusterIpRoutes;
import dev.switchboard.agent.proxier.ListenerKey;
import dev.switchboard.agent.proxier.Proxier;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.discovery.client.ControlPlaneChannels;
import dev.switchboard.discovery.client.ExponentialBackoff;
import dev.switchboard.discovery.client.Subscriber;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.h2.H2CallObserver;
import dev.switchboard.forwarder.h2.H2Options;
import dev.switchboard.forwarder.http.HttpOptions;
import dev.switchboard.forwarder.probe.SocketProber;
import dev.switchboard.telemetry.ConnectionTelemetry;
import dev.switchboard.telemetry.H2Telemetry;
import dev.switchboard.telemetry.HttpTelemetry;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node agent: the discovery client, the state it keeps, the proxier programming the forwarder,
 * and the health endpoints. {@link #start} returns once the admin port is bound and the first
 * connection attempt is under way; the agent then follows the control plane, and keeps forwarding
 * with the last state it received while the control plane is away.
 *
 * <p>Threading: one executor thread owns the state, the proxier and the health check servers and
 * runs every gRPC callback; the forwarder and the HTTP servers have their own event loops.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);
  private static final Duration FORWARDER_TIMEOUT = Duration.ofSeconds(10);

  /** /statusz lists at most this many ports with their data path. */
  private static final int STATUS_PORT_LINES = 1000;

  /**
   * One nft batch. The first batch at 10,000 services × 10 endpoints took 74-301 s on a loaded
   * 2-core box (docs/architecture.md); a batch cut short is retried whole at every sync, so the
   * bound is generous.
   */
  private static final Duration NFT_TIMEOUT = Duration.ofMinutes(15);

  /**
   * `nft --version`, `nft list tables` (which lists names only), `conntrack -D`, and a batch of a
   * few services' changes through the {@link NftSession} (~1 ms): quick.
   */
  private static final Duration NFT_QUERY_TIMEOUT = Duration.ofSeconds(60);

  /** Set by the first {@link #close}: closing twice (shutdown hook and caller) is harmless. */
  private final AtomicBoolean closed = new AtomicBoolean();

  private final AgentConfig config;
  private final ScheduledExecutorService executor;
  private final Forwarder forwarder;
  private final EventLoopGroup httpGroup;
  private final Proxier proxier;
  private final HealthCheckServers healthChecks;
  private final StateSync sync;
  private final Subscriber subscriber;
  private final AdminServer admin;
  private final PodProber prober;
  private final ManagedChannel adminChannel;

  /** Cluster DNS (agent/dns), null when off; set once in {@link #start}, before it returns. */
  private DnsServer dns;

  /** The nft process of nftables mode, null in userspace mode; set once, as {@link #dns}. */
  private NftSession nft;

  private NodeAgent(
      AgentConfig config,
      ScheduledExecutorService executor,
      Forwarder forwarder,
      EventLoopGroup httpGroup,
      Proxier proxier,
      HealthCheckServers healthChecks,
      StateSync sync,
      Subscriber subscriber,
      AdminServer admin,
      PodProber prober,
      ManagedChannel adminChannel) {
    this.prober = prober;
    this.adminChannel = adminChannel;
    this.config = config;
    this.executor = executor;
    this.forwarder = forwarder;
    this.httpGroup = httpGroup;
    this.proxier = proxier;
    this.healthChecks = healthChecks;
    this.sync = sync;
    this.subscriber = subscriber;
    this.admin = admin;
  }

  /**
   * Starts an agent that reaches the control plane in plaintext and records no telemetry: local
   * mode, tests and embedders.
   *
   * @throws IOException when the admin port cannot be bound
   */
  public static NodeAgent start(AgentConfig config) throws IOException {
    return start(config, Telemetry.disabled(), InsecureChannelCredentials.create());
  }

  /**
   * Starts an agent: returns once the admin port is bound and the first connection attempt is under
   * way.
   *
   * @param telemetry traces connections and applied changes, and is served at {@code /metrics} on
   *     the admin port ({@link Telemetry#disabled()}: none); closed by the caller, after the agent
   * @param credentials how to reach the control plane: TLS with this node's client certificate,
   *     whose identity must be {@code system:node:<nodeName>}, or plaintext in local mode
   * @throws IOException when the admin port cannot be bound
   */
  public static NodeAgent start(
      AgentConfig config, Telemetry telemetry, ChannelCredentials credentials) throws IOException {
    String node = config.nodeName();
    NftProxier kernel = null;
    NftSession nft = null;
    if (config.proxyMode() == ProxyMode.NFTABLES) {
      String missing = NftPreflight.check(NFT_QUERY_TIMEOUT);
      if (!missing.isEmpty()) {
        throw new IllegalStateException(missing);
      }
      nft = NftSession.system(NFT_QUERY_TIMEOUT, NFT_TIMEOUT);
      kernel = new NftProxier(nft, Conntrack.system(NFT_QUERY_TIMEOUT));
    }
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "switchboard-agent-" + node);
              t.setDaemon(true);
              return t;
            });
    ForwarderOptions forwarding = ForwarderOptions.defaults().withIoThreads(config.ioThreads());
    ConnectionTelemetry connections =
        telemetry.enabled() ? new ConnectionTelemetry(telemetry, "node-agent") : null;
    if (connections != null) {
      forwarding = forwarding.withObserver(connections);
    }
    Forwarder forwarder = Forwarder.create(forwarding);
    if (connections != null) {
      connections.exportCountsOf(forwarder::listeners);
    }
    EventLoopGroup httpGroup =
        new MultiThreadIoEventLoopGroup(
            1,
            new DefaultThreadFactory("switchboard-http-" + node, true),
            NioIoHandler.newFactory());
    try {
      String standingError = "";
      if (config.clusterIpMode() == ClusterIpMode.ROUTE) {
        standingError = ClusterIpRoutes.system().ensureLocal(config.serviceCidr());
        if (!standingError.isEmpty()) {
          log.error("{}", standingError);
        }
      }
      Proxier proxier =
          new Proxier(
              forwarder::addListener,
              ListenerOptions.DEFAULTS,
              FORWARDER_TIMEOUT,
              telemetry.enabled()
                  ? HttpOptions.of(new HttpTelemetry(telemetry, "node-agent"))
                  : null,
              // HTTP/2 ports are balanced per call with or without telemetry: spreading calls is
              // their point, tracing comes on top.
              H2Options.of(
                  telemetry.enabled()
                      ? new H2Telemetry(telemetry, "node-agent")
                      : H2CallObserver.NOOP));
      HealthCheckServers healthChecks = new HealthCheckServers(httpGroup, config.nodeAddress());
      StateSync sync =
          new StateSync(
              new ServicePlanner(node, config.nodeAddress()),
              proxier,
              kernel,
              healthChecks,
              standingError);
      Hello hello =
          Hello.newBuilder()
              .setNodeName(node)
              .setNodeAddress(config.nodeAddress().getHostAddress())
              .setRole(Role.AGENT)
              .putAllLabels(config.labels())
              .build();
      Subscriber subscriber =
          new Subscriber(
              () -> ControlPlaneChannels.create(config.controlPlane(), credentials),
              executor,
              new Subscriber.Options(
                  "node-agent",
                  hello,
                  config.backoff(),
                  config.minSyncInterval(),
                  config.resyncInterval()),
              sync,
              telemetry);
      // Pod probes: their own thread and event loop, their own channel (gRPC reconnects it).
      ManagedChannel adminChannel = ControlPlaneChannels.create(config.controlPlane(), credentials);
      PodProber prober =
          new PodProber(
              node,
              adminChannel,
              new SocketProber(
                  forwarder.transport(), "switchboard-probes-io-" + node, "switchboard-node-agent"),
              Executors.newSingleThreadScheduledExecutor(
                  r -> {
                    Thread t = new Thread(r, "switchboard-probes-" + node);
                    t.setDaemon(true);
                    return t;
                  }),
              ExponentialBackoff.standard(
                  AgentConfig.DEFAULT_RECONNECT_MAX)); // its own, not the stream's
      AdminServer admin =
          AdminServer.start(
              httpGroup,
              new InetSocketAddress(config.nodeAddress(), config.adminPort()),
              sync::ready,
              () -> status(node, sync, subscriber, prober),
              telemetry::scrape);
      DnsServer dns =
          config.dns().enabled()
              ? DnsServer.start(
                  config.dns(),
                  config.dns().address() != null ? config.dns().address() : config.nodeAddress(),
                  config.serviceCidr(),
                  node,
                  telemetry)
              : null;
      if (dns != null) {
        sync.onSynced(dns::update);
      }
      NodeAgent agent =
          new NodeAgent(
              config,
              executor,
              forwarder,
              httpGroup,
              proxier,
              healthChecks,
              sync,
              subscriber,
              admin,
              prober,
              adminChannel);
      agent.dns = dns;
      agent.nft = nft;
      subscriber.start();
      prober.start();
      log.info(
          "node agent {} on {} started: control plane {}, ClusterIPs {} ({}), proxy mode {}, admin {}",
          node,
          config.nodeAddress().getHostAddress(),
          config.controlPlane(),
          config.serviceCidr(),
          config.clusterIpMode().name().toLowerCase(java.util.Locale.ROOT),
          config.proxyMode().name().toLowerCase(java.util.Locale.ROOT),
          admin.address());
      return agent;
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      if (nft != null) {
        nft.close();
      }
      forwarder.close();
      httpGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  public AgentConfig config() {
    return config;
  }

  /** The bound admin address (/healthz, /readyz). */
  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  /** The cluster DNS server (UDP and TCP on one address), or null when DNS is off. */
  public DnsServer dns() {
    return dns;
  }

  /** True once the first snapshot is programmed. */
  public boolean ready() {
    return sync.ready();
  }

  /** True while the discovery stream is up. */
  public boolean connected() {
    return subscriber.connected();
  }

  /** The version of the state last programmed. */
  public long programmedVersion() {
    return sync.programmedVersion();
  }

  /** What the last sync could not program ("" when all is well): the last NACK's detail. */
  public String lastError() {
    return subscriber.lastError();
  }

  /** The listeners bound now; a copy taken on the agent's thread. */
  public Map<ListenerKey, Listener> listeners() {
    return onExecutor(proxier::listeners);
  }

  /** Stops following the control plane, closes every listener and server. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("node agent {} stopping", config.nodeName());
    subscriber.close();
    prober.close();
    adminChannel.shutdownNow();
    try {
      onExecutor(
          () -> {
            healthChecks.close();
            proxier.close();
            return null;
          });
    } catch (RuntimeException e) {
      log.warn("closing listeners: {}", e.toString());
    }
    executor.shutdownNow();
    admin.close();
    if (dns != null) {
      dns.close();
    }
    forwarder.close();
    httpGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (nft != null) {
      nft.close(); // the table stays: traffic keeps flowing across a restart
    }
  }

  private <T> T onExecutor(Callable<T> task) {
    try {
      return executor.submit(task).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("agent executor: " + e, e);
    }
  }

  /** Condition writes of the pod prober so far (one per Ready transition). */
  public long probeWrites() {
    return prober.writes();
  }

  private static String status(
      String node, StateSync sync, Subscriber subscriber, PodProber prober) {
    String ports = sync.portPaths(STATUS_PORT_LINES);
    String lastError = subscriber.lastError();
    return "node "
        + node
        + ": "
        + (subscriber.connected() ? "connected" : "disconnected")
        + ", ready "
        + sync.ready()
        + ", version "
        + sync.programmedVersion()
        + ", listeners "
        + sync.boundListeners()
        + ", nftables ports "
        + sync.kernelPorts()
        + ", probed pods "
        + prober.probedPods()
        + ", errors "
        + sync.errorCount()
        + (lastError.isEmpty() ? "" : ": " + lastError)
        + (ports.isEmpty() ? "" : "\nports (data path):\n" + ports.stripTrailing());
  }
}
