package dev.switchboard.lb;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.ConnectionObserver;
import dev.switchboard.forwarder.ConnectionSummary;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.Outcome;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.lb.balancer.Balancer;
import dev.switchboard.lb.balancer.MaglevTables;
import dev.switchboard.discovery.client.Batch;
import dev.switchboard.discovery.client.DiscoveryClient;
import dev.switchboard.discovery.client.ExponentialBackoff;
import dev.switchboard.lb.client.ClusterView;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import dev.switchboard.lb.nodes.NettyProbe;
import dev.switchboard.lb.nodes.NodeHealth;
import dev.switchboard.lb.status.StatusWriter;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.forwarder.http.HttpOptions;
import dev.switchboard.telemetry.ConnectionTelemetry;
import dev.switchboard.telemetry.HttpTelemetry;
import dev.switchboard.telemetry.ProgrammingTelemetry;
import dev.switchboard.telemetry.Telemetry;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Clock;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One load balancer instance, wired: the Discovery stream feeds a {@link ClusterView}; each change, health
 * transition or bind result runs one coalesced sync that brings the {@link Balancer}'s listeners in line
 * and lets the {@link StatusWriter} publish the external IPs.
 *
 * <p>Threading: one control thread ({@link #executor}) owns the view, the balancer, the health state and
 * the status writer; gRPC callbacks, probe results and bind results are handed to it. Forwarding runs on
 * the forwarder's event loops, probes on their own loop.
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
    private final DiscoveryClient client;
    /** Set while a sync is queued and not started: many requests make one sync. */
    private final AtomicBoolean syncQueued = new AtomicBoolean();
    /** On the executor. */
    private String lastErrors = "";

    private CloudLb(LbConfig config, Telemetry telemetry, ChannelCredentials credentials,
            CallCredentials adminToken) {
        this.config = config;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "switchboard-lb");
            t.setDaemon(true);
            return t;
        });
        this.channel = NettyChannelBuilder.forTarget(config.controlPlane(), credentials)
                .keepAliveTime(30, TimeUnit.SECONDS).build();
        ConnectionTelemetry connections = telemetry.enabled() ? new ConnectionTelemetry(telemetry, "cloud-lb") : null;
        this.forwarder = Forwarder.create(ForwarderOptions.defaults().withIoThreads(config.ioThreads())
                .withObserver(connections != null
                        ? new BothObservers(new PassiveObserver(), connections)
                        : new PassiveObserver()));
        if (connections != null) {
            connections.exportCountsOf(forwarder::listeners);
        }
        ProgrammingTelemetry programming = telemetry.enabled()
                ? new ProgrammingTelemetry(telemetry, "cloud-lb", config.name(), Clock.systemUTC()) : null;
        this.probe = new NettyProbe(forwarder.transport());
        this.health = new NodeHealth(config.health(), probe, executor, this::requestSync);
        ListenerOptions options = ListenerOptions.DEFAULTS
                .withConnectTimeout(config.connectTimeout())
                // Replicas on one host share each external address; Maglev makes them agree on the node.
                .withReusePort(true);
        this.balancer = new Balancer(forwarder, new MaglevTables(config.maglevTableSize()), health,
                health::connectFailed, options, executor, this::requestSync,
                telemetry.enabled() ? HttpOptions.of(new HttpTelemetry(telemetry, "cloud-lb")) : null);
        if (telemetry.enabled()) {
            telemetry.meter("dev.switchboard.lb").gaugeBuilder("switchboard.lb.node_readiness_ignored").ofLongs()
                    .setDescription("1 while so many nodes are not ready at once that readiness is ignored and "
                            + "health checks alone decide (--unready-nodes-threshold)")
                    .buildWithCallback(m -> m.record(balancer.readinessIgnored() ? 1 : 0));
        }
        // Status writes: with the LB certificate alone (the control plane allows it that one call),
        // or with a token when one was given.
        AdminGrpc.AdminStub admin = AdminGrpc.newStub(channel);
        this.status = new StatusWriter(adminToken == null ? admin : admin.withCallCredentials(adminToken), executor,
                ExponentialBackoff.standard(config.reconnectMax()), this::requestSync);
        // A fresh channel per attempt: see DiscoveryClient on gRPC's own reconnect backoff.
        this.client = new DiscoveryClient(
                () -> NettyChannelBuilder.forTarget(config.controlPlane(), credentials)
                        .keepAliveTime(30, TimeUnit.SECONDS).maxInboundMessageSize(64 << 20).build(),
                executor, ExponentialBackoff.standard(config.reconnectMax()),
                Hello.newBuilder().setNodeName(config.name()).setRole(Role.LOAD_BALANCER).build(),
                new DiscoveryClient.Handler() {
                    @Override
                    public CompletableFuture<String> apply(Batch batch) {
                        ProgrammingTelemetry.Applying applying = programming == null ? e -> { }
                                : programming.begin(batch.version(), batch.snapshot(),
                                        batch.resources().size() + batch.removed().size(), batch.traceContext(),
                                        batch.origins().stream().map(o -> new ProgrammingTelemetry.Origin(
                                                o.getRevision(), o.getWriteTimeUnixNanos(),
                                                o.getTraceContextMap())).toList());
                        view.apply(batch);
                        String errors = sync();
                        applying.done(errors);
                        return CompletableFuture.completedFuture(errors);
                    }

                    @Override
                    public long version() {
                        return view.version();
                    }

                    @Override
                    public String currentError() {
                        return lastErrors;
                    }
                });
    }

    /** Starts following the control plane; returns at once (the stream connects in the background). */
    public static CloudLb start(LbConfig config) {
        return start(config, Telemetry.disabled());
    }

    /**
     * Starts an instance that traces every forwarded connection and applied change with {@code telemetry}
     * (closed by the caller, after this).
     */
    public static CloudLb start(LbConfig config, Telemetry telemetry) {
        return start(config, telemetry, InsecureChannelCredentials.create(), null);
    }

    /**
     * As above, reaching the control plane with {@code credentials} (TLS with a load balancer's client
     * certificate, {@code system:switchboard:lb:<name>}); {@code adminToken} (null: none) is sent with
     * status writes, which the certificate alone is allowed to make.
     */
    public static CloudLb start(LbConfig config, Telemetry telemetry, ChannelCredentials credentials,
            CallCredentials adminToken) {
        CloudLb lb = new CloudLb(Checks.notNull(config, "config"), Checks.notNull(telemetry, "telemetry"),
                Checks.notNull(credentials, "credentials"), adminToken);
        lb.client.start();
        long every = config.resyncInterval().toNanos();
        lb.executor.scheduleWithFixedDelay(lb::requestSync, every, every, TimeUnit.NANOSECONDS);
        log.info("cloud-lb {} following {} (health every {} ms, rise {}, fall {}; Maglev M={})", config.name(),
                config.controlPlane(), config.health().interval().toMillis(), config.health().rise(),
                config.health().fall(), config.maglevTableSize());
        return lb;
    }

    public LbConfig config() {
        return config;
    }

    /** True while the Discovery stream is up. */
    public boolean connected() {
        return client.connected();
    }

    /** Runs {@code query} on the control thread and waits for it: how tests look at the state. */
    public <T> T inspect(Function<Balancer, T> query) {
        CompletableFuture<T> result = CompletableFuture.supplyAsync(() -> query.apply(balancer), executor);
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("inspect: " + e, e);
        }
    }

    /** Asks for one sync; many requests before it runs make one. Any thread. */
    private void requestSync() {
        if (!syncQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                syncQueued.set(false);
                client.reportError(sync());
            });
        } catch (RejectedExecutionException e) {
            // closing
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
        client.close();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
            balancer.close();
            health.close();
        }, executor);
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
    private record BothObservers(ConnectionObserver first, ConnectionObserver second) implements ConnectionObserver {
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
     * Connections that found no node to connect to: the last endpoint they tried is ejected (earlier ones
     * were reported by the picker at the retry). UDP flows ending in error (ICMP port unreachable) count
     * too. On event loops.
     */
    private final class PassiveObserver implements ConnectionObserver {
        @Override
        public void onClose(ConnectionInfo connection, ConnectionSummary summary) {
            boolean failed = summary.outcome() == Outcome.CONNECT_FAILED
                    || (summary.outcome() == Outcome.ERROR && connection.protocol() == Protocol.UDP);
            if (failed && summary.endpoint().isPresent()) {
                Endpoint e = summary.endpoint().get();
                health.connectFailed(e.nodeName().orElse(e.toString()), e.socketAddress());
            }
        }
    }
}
