package dev.switchboard.lb;

import dev.switchboard.checks.Checks;
import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.ControlPlaneChannels;
import dev.switchboard.discovery.client.ExponentialBackoff;
import dev.switchboard.discovery.client.Subscriber;
import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.h2.H2CallObserver;
import dev.switchboard.forwarder.h2.H2Options;
import dev.switchboard.forwarder.http.HttpOptions;
import dev.switchboard.lb.balancer.Balancer;
import dev.switchboard.lb.balancer.MaglevTables;
import dev.switchboard.lb.client.ClusterView;
import dev.switchboard.lb.nodes.NettyProbe;
import dev.switchboard.lb.nodes.NodeHealth;
import dev.switchboard.lb.status.StatusWriter;
import dev.switchboard.telemetry.ConnectionTelemetry;
import dev.switchboard.telemetry.H2Telemetry;
import dev.switchboard.telemetry.HttpTelemetry;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One load balancer instance, wired: the Discovery stream feeds a {@link ClusterView} through a
 * {@link Subscriber} (as in the node agent); each change, health transition or bind result asks for
 * one coalesced sync that brings the {@link Balancer}'s listeners in line and lets the {@link
 * StatusWriter} publish the external IPs.
 *
 * <p>Threading: one control thread ({@link #executor}) owns the view, the balancer, the health
 * state and the status writer; gRPC callbacks, probe results and bind results are handed to it.
 * Forwarding runs on the forwarder's event loops, probes on their own loop.
 */
public final class CloudLb implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CloudLb.class);

  private final LbConfig config;
  private final ScheduledExecutorService executor;
  private final ManagedChannel channel;
  private final Forwarder forwarder;
  private final NettyProbe probe;

  /** The rest: on the executor. */
  private final ClusterView view = new ClusterView();

  private final NodeHealth health;
  private final Balancer balancer;
  private final StatusWriter status;
  private final Subscriber subscriber;

  /** The last sync's errors, for logging a change once. On the executor. */
  private String lastErrors = "";

  private CloudLb(
      LbConfig config,
      Telemetry telemetry,
      ChannelCredentials credentials,
      CallCredentials adminToken) {
    this.config = config;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "switchboard-lb");
              t.setDaemon(true);
              return t;
            });
    this.channel = ControlPlaneChannels.create(config.controlPlane(), credentials);
    // Created first: the health checks, the balancer and the status writer ask it for syncs.
    // Nothing
    // runs before start().
    this.subscriber =
        new Subscriber(
            () -> ControlPlaneChannels.create(config.controlPlane(), credentials),
            executor,
            new Subscriber.Options(
                "cloud-lb",
                Hello.newBuilder().setNodeName(config.name()).setRole(Role.LOAD_BALANCER).build(),
                ExponentialBackoff.standard(config.reconnectMax()),
                Duration.ZERO,
                config.resyncInterval()),
            new Subscriber.State() {
              @Override
              public void apply(Batch batch) {
                view.apply(batch);
              }

              @Override
              public long version() {
                return view.version();
              }

              @Override
              public String sync() {
                return CloudLb.this.sync();
              }
            },
            telemetry);
    ConnectionTelemetry connections =
        telemetry.enabled() ? new ConnectionTelemetry(telemetry, "cloud-lb") : null;
    this.forwarder =
        Forwarder.create(
            ForwarderOptions.defaults()
                .withIoThreads(config.ioThreads())
                .withObserver(
                    connections != null
                        ? new BothObservers(new PassiveObserver(), connections)
                        : new PassiveObserver()));
    if (connections != null) {
      connections.exportCountsOf(forwarder::listeners);
    }
    this.probe = new NettyProbe(forwarder.transport());
    this.health = new NodeHealth(config.health(), probe, executor, subscriber::requestSync);
    ListenerOptions options =
        ListenerOptions.DEFAULTS
            .withConnectTimeout(config.connectTimeout())
            // Replicas on one host share each external address; Maglev makes them agree on the
            // node.
            .withReusePort(true);
    this.balancer =
        new Balancer(
            forwarder,
            new MaglevTables(config.maglevTableSize()),
            health,
            health::connectFailed,
            options,
            executor,
            subscriber::requestSync,
            telemetry.enabled() ? HttpOptions.of(new HttpTelemetry(telemetry, "cloud-lb")) : null,
            // HTTP/2 ports are balanced per call with or without telemetry: spreading calls is
            // their point, tracing comes on top.
            H2Options.of(
                telemetry.enabled()
                    ? new H2Telemetry(telemetry, "cloud-lb")
                    : H2CallObserver.NOOP));
    if (telemetry.enabled()) {
      telemetry
          .meter("dev.switchboard.lb")
          .gaugeBuilder("switchboard.lb.node_readiness_ignored")
          .ofLongs()
          .setDescription(
              "1 while so many nodes are not ready at once that readiness is ignored and "
                  + "health checks alone decide (--unready-nodes-threshold)")
          .buildWithCallback(m -> m.record(balancer.readinessIgnored() ? 1 : 0));
    }
    // Status writes: with the LB certificate alone (the control plane allows it that one call),
    // or with a token when one was given.
    AdminGrpc.AdminStub admin = AdminGrpc.newStub(channel);
    this.status =
        new StatusWriter(
            adminToken == null ? admin : admin.withCallCredentials(adminToken),
            executor,
            ExponentialBackoff.standard(config.reconnectMax()),
            subscriber::requestSync);
  }

  /**
   * Starts an instance that reaches the control plane in plaintext and records no telemetry: tests.
   */
  public static CloudLb start(LbConfig config) {
    return start(config, Telemetry.disabled(), InsecureChannelCredentials.create(), null);
  }

  /**
   * Starts following the control plane; returns at once (the stream connects in the background).
   *
   * @param telemetry traces every forwarded connection and applied change ({@link
   *     Telemetry#disabled()}: none); closed by the caller, after this
   * @param credentials how to reach the control plane: TLS with a load balancer's client
   *     certificate ({@code system:switchboard:lb:<name>}), or plaintext in local mode
   * @param adminToken sent with status writes, which the certificate alone is allowed to make;
   *     null: none
   */
  public static CloudLb start(
      LbConfig config,
      Telemetry telemetry,
      ChannelCredentials credentials,
      CallCredentials adminToken) {
    CloudLb lb =
        new CloudLb(
            Checks.notNull(config, "config"),
            Checks.notNull(telemetry, "telemetry"),
            Checks.notNull(credentials, "credentials"),
            adminToken);
    lb.subscriber.start();
    log.info(
        "cloud-lb {} following {} (health every {} ms, rise {}, fall {}; Maglev M={})",
        config.name(),
        config.controlPlane(),
        config.health().interval().toMillis(),
        config.health().rise(),
        config.health().fall(),
        config.maglevTableSize());
    return lb;
  }

  public LbConfig config() {
    return config;
  }

  /** True while the Discovery stream is up. */
  public boolean connected() {
    return subscriber.connected();
  }

  /** Runs {@code query} on the control thread and waits for it: how tests look at the state. */
  public <T> T inspect(Function<Balancer, T> query) {
    CompletableFuture<T> result =
        CompletableFuture.supplyAsync(() -> query.apply(balancer), executor);
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("inspect: " + e, e);
    }
  }

  /** On the executor. Returns the NACK detail: "" when everything is served. */
  private String sync() {
    String errors = String.join("; ", balancer.sync(view.services(), view.nodes()));
    status.sync(balancer.bound(), view::service);
    if (!errors.equals(lastErrors)) {
      if (!errors.isEmpty()) {
        log.warn("not served: {}", errors);
      }
      lastErrors = errors;
    }
    return errors;
  }

  @Override
  public void close() {
    subscriber.close();
    CompletableFuture<Void> stopped =
        CompletableFuture.runAsync(
            () -> {
              balancer.close();
              health.close();
            },
            executor);
    try {
      stopped.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("cloud-lb: stopping did not complete: {}", e.toString());
    }
    executor.shutdownNow();
    forwarder.close();
    probe.close();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Tells two observers, the first one first. */
  private record BothObservers(ConnectionObserver first, ConnectionObserver second)
      implements ConnectionObserver {
    @Override
    public void onOpen(ConnectionInfo connection) {
      first.onOpen(connection);
      second.onOpen(connection);
    }

    @Override
    public void onClose(ConnectionInfo connection, ConnectionSummary summary) {
      first.onClose(connection, summary);
      second.onClose(connection, summary);
    }
  }

  /**
   * Connections that found no node to connect to: the last endpoint they tried is ejected (earlier
   * ones were reported by the picker at the retry). UDP flows ending in error (ICMP port
   * unreachable) count too. On event loops.
   */
  private final class PassiveObserver implements ConnectionObserver {
    @Override
    public void onClose(ConnectionInfo connection, ConnectionSummary summary) {
      boolean failed =
          summary.outcome() == Outcome.CONNECT_FAILED
              || (summary.outcome() == Outcome.ERROR && connection.protocol() == Protocol.UDP);
      if (failed && summary.endpoint().isPresent()) {
        Endpoint e = summary.endpoint().get();
        health.connectFailed(e.nodeName().orElse(e.toString()), e.socketAddress());
      }
    }
  }
}
