package dev.switchboard.controlplane;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.controlplane.admin.AdminService;
import dev.switchboard.controlplane.admin.AdminWatches;
import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import dev.switchboard.controlplane.auth.AdminAuthorizer;
import dev.switchboard.controlplane.auth.DiscoveryAuthorizer;
import dev.switchboard.controlplane.discovery.DiscoveryService;
import dev.switchboard.controlplane.discovery.NodeLifecycle;
import dev.switchboard.controlplane.registry.AllocationRanges;
import dev.switchboard.controlplane.registry.EndpointsRegistry;
import dev.switchboard.controlplane.registry.PodRegistry;
import dev.switchboard.controlplane.registry.ServiceRegistry;
import dev.switchboard.controlplane.state.ClusterCache;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreException;
import dev.switchboard.controlplane.telemetry.ControlPlaneMetrics;
import dev.switchboard.controlplane.telemetry.PushTracing;
import dev.switchboard.controlplane.telemetry.TracingStore;
import dev.switchboard.controlplane.validation.EndpointsValidator;
import dev.switchboard.controlplane.validation.PodValidator;
import dev.switchboard.controlplane.validation.ServiceValidator;
import dev.switchboard.telemetry.Telemetry;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control-plane replica: etcd store, cache, published state, registries, and one gRPC port
 * serving Admin, Discovery, health checking and reflection. Stateless apart from the cache: any
 * number of replicas can share one etcd.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

  private final Store store;
  private final ClusterCache cache;
  private final PublishedState published;
  private final DiscoveryService discovery;
  private final NodeLifecycle nodeLifecycle;
  private final ScheduledExecutorService cacheExecutor;
  private final ExecutorService blocking;
  private final Server server;
  private final HealthStatusManager health;

  /** Plaintext listeners of the health service alone; see {@link #serveHealthPlaintext}. */
  @GuardedBy("this")
  private final List<Server> healthServers = new ArrayList<>();

  private ControlPlane(
      Store store,
      ClusterCache cache,
      PublishedState published,
      DiscoveryService discovery,
      NodeLifecycle nodeLifecycle,
      ScheduledExecutorService cacheExecutor,
      ExecutorService blocking,
      Server server,
      HealthStatusManager health) {
    this.store = store;
    this.cache = cache;
    this.published = published;
    this.discovery = discovery;
    this.nodeLifecycle = nodeLifecycle;
    this.cacheExecutor = cacheExecutor;
    this.blocking = blocking;
    this.server = server;
    this.health = health;
  }

  /** Starts a plaintext replica without telemetry: local mode, tests and benchmarks. */
  public static ControlPlane start(ControlPlaneConfig config) throws IOException {
    return start(config, Telemetry.disabled(), ControlPlaneSecurity.insecure());
  }

  /**
   * Starts a replica: waits (up to {@code etcdWait}) for etcd and the first full list, then serves.
   * Bad ranges fail fast with {@link IllegalArgumentException}; etcd that stays away fails with
   * {@link StoreException}.
   *
   * @param telemetry traces Admin calls, etcd transactions and discovery pushes, and keeps metrics
   *     ({@link Telemetry#disabled()}: none); closed by the caller, after this
   * @param security TLS, client certificates for Discovery and tokens for Admin (health and
   *     reflection stay open); {@link ControlPlaneSecurity#insecure()}: plaintext
   */
  public static ControlPlane start(
      ControlPlaneConfig config, Telemetry telemetry, ControlPlaneSecurity security)
      throws IOException {
    AllocationRanges ranges =
        new AllocationRanges(
            ClusterIpRange.parse(config.serviceCidr()),
            PortRange.parse(config.nodePortRange()),
            config.lbPools().isBlank() ? LbIpPools.none() : LbIpPools.parse(config.lbPools()),
            new SecureRandom());
    EtcdStore etcd =
        EtcdStore.connect(
            config.etcdEndpoints(), config.keyPrefix(), config.etcdTimeout(), security.etcdTls());
    Store store = telemetry.enabled() ? new TracingStore(etcd, telemetry, Clock.systemUTC()) : etcd;
    ScheduledExecutorService cacheExecutor =
        Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "switchboard-cache"));
    ExecutorService blocking =
        Executors.newFixedThreadPool(16, r -> daemon(r, "switchboard-blocking"));
    NodeLifecycle nodeLifecycle = null;
    try {
      awaitEtcd(store, config);
      ClusterCache cache = new ClusterCache(store, cacheExecutor);
      PublishedState published = new PublishedState();
      cache.addListener(published);
      AdminWatches watches = new AdminWatches(cache, published, store, blocking);
      ServiceRegistry services =
          new ServiceRegistry(
              store,
              new ServiceValidator(ranges.clusterIps(), ranges.nodePorts(), ranges.lbPools()),
              ranges,
              key -> cache.get(key) != null,
              Clock.systemUTC());
      PodRegistry pods = new PodRegistry(store, new PodValidator(), Clock.systemUTC());
      EndpointsRegistry endpoints =
          new EndpointsRegistry(store, services, new EndpointsValidator());
      nodeLifecycle =
          new NodeLifecycle(
              store,
              cache,
              config.nodeLeaseTtl(),
              Executors.newSingleThreadScheduledExecutor(
                  r -> daemon(r, "switchboard-node-lifecycle")),
              System::nanoTime);
      cache.addListener(nodeLifecycle);
      DiscoveryService discovery =
          new DiscoveryService(
              cache,
              published,
              store,
              config.nodeLeaseTtl(),
              nodeLifecycle,
              blocking,
              new PushTracing(telemetry));
      ControlPlaneMetrics.register(
          telemetry,
          published,
          () ->
              discovery.subscribers().stream()
                  .map(DiscoveryService.SubscriberStatus::role)
                  .toList());
      cache.start().get(config.etcdWait().toMillis(), TimeUnit.MILLISECONDS);

      HealthStatusManager health = new HealthStatusManager();
      InetSocketAddress address = new InetSocketAddress(config.listenHost(), config.listenPort());
      NettyServerBuilder builder =
          security.secure()
              ? NettyServerBuilder.forAddress(address, security.serverCredentials())
              : NettyServerBuilder.forAddress(address);
      AdminService admin = new AdminService(store, services, pods, endpoints, published, watches);
      ServerInterceptor adminTracing =
          GrpcTelemetry.create(telemetry.openTelemetry()).createServerInterceptor();
      // The last interceptor runs first: refused calls are traced too.
      Server server =
          builder
              .addService(
                  security.secure()
                      ? ServerInterceptors.intercept(
                          admin, new AdminAuthorizer(security.tokens()), adminTracing)
                      : ServerInterceptors.intercept(admin, adminTracing))
              .addService(
                  security.secure()
                      ? ServerInterceptors.intercept(discovery, new DiscoveryAuthorizer())
                      : discovery.bindService())
              .addService(health.getHealthService())
              .addService(ProtoReflectionServiceV1.newInstance())
              .permitKeepAliveTime(5, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .build()
              .start();
      // Nodes can reach this replica from now on: their grace period starts here.
      nodeLifecycle.start();
      health.setStatus("", ServingStatus.SERVING);
      health.setStatus("switchboard.v1.Admin", ServingStatus.SERVING);
      health.setStatus("switchboard.v1.Discovery", ServingStatus.SERVING);
      log.info(
          "control plane serving {} on {}:{} (etcd {}, prefix {}, service CIDR {}, node ports {},"
              + " LB pools {})",
          security.secure() ? "TLS" : "PLAINTEXT (insecure)",
          config.listenHost(),
          server.getPort(),
          config.etcdEndpoints(),
          config.keyPrefix(),
          config.serviceCidr(),
          config.nodePortRange(),
          config.lbPools().isBlank() ? "none" : config.lbPools());
      return new ControlPlane(
          store,
          cache,
          published,
          discovery,
          nodeLifecycle,
          cacheExecutor,
          blocking,
          server,
          health);
    } catch (IOException | RuntimeException e) {
      shutdown(store, nodeLifecycle, cacheExecutor, blocking);
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdown(store, nodeLifecycle, cacheExecutor, blocking);
      throw new StoreException("interrupted while starting", e);
    } catch (ExecutionException | TimeoutException e) {
      shutdown(store, nodeLifecycle, cacheExecutor, blocking);
      throw new StoreException(
          "could not list etcd at "
              + config.etcdEndpoints()
              + " within "
              + config.etcdWait().toSeconds()
              + " s",
          e);
    }
  }

  private static void awaitEtcd(Store store, ControlPlaneConfig config)
      throws InterruptedException {
    long deadline = System.nanoTime() + config.etcdWait().toNanos();
    long lastSaid = 0;
    while (true) {
      try {
        store.currentRevision();
        return;
      } catch (StoreException e) {
        if (System.nanoTime() > deadline) {
          throw new StoreException(
              "etcd at "
                  + String.join(",", config.etcdEndpoints())
                  + " unreachable for "
                  + config.etcdWait().toSeconds()
                  + " s: "
                  + e.getMessage(),
              e);
        }
        if (System.nanoTime() - lastSaid > TimeUnit.SECONDS.toNanos(5)) {
          log.warn("waiting for etcd at {} ({})", config.etcdEndpoints(), e.getMessage());
          lastSaid = System.nanoTime();
        }
        Thread.sleep(200); // a bounded retry loop against an external process
      }
    }
  }

  public int port() {
    return server.getPort();
  }

  public DiscoveryService discovery() {
    return discovery;
  }

  /**
   * Also serves {@code grpc.health.v1.Health}, alone and in plaintext, on {@code address}: for
   * probes that cannot speak TLS, such as Kubernetes' {@code grpc:} probe (as kube-apiserver and
   * etcd keep their health endpoints apart from their TLS ports). It tells no more than whether
   * this replica serves; it is closed, NOT_SERVING first, with the control plane.
   *
   * @return the bound address (port 0 picks one)
   */
  public synchronized InetSocketAddress serveHealthPlaintext(InetSocketAddress address)
      throws IOException {
    Server s =
        NettyServerBuilder.forAddress(address)
            .addService(health.getHealthService())
            .build()
            .start();
    healthServers.add(s);
    return (InetSocketAddress) s.getListenSockets().get(0);
  }

  public ClusterCache cache() {
    return cache;
  }

  public PublishedState published() {
    return published;
  }

  @Override
  public void close() {
    health.enterTerminalState();
    synchronized (this) {
      healthServers.forEach(Server::shutdownNow);
    }
    discovery.drain();
    server.shutdown();
    try {
      // Discovery streams never end by themselves: give unary calls a moment, then cancel.
      if (!server.awaitTermination(1, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    cache.close();
    shutdown(store, nodeLifecycle, cacheExecutor, blocking);
  }

  private static void shutdown(
      Store store,
      NodeLifecycle nodeLifecycle,
      ExecutorService cacheExecutor,
      ExecutorService blocking) {
    if (nodeLifecycle != null) {
      nodeLifecycle.close();
    }
    cacheExecutor.shutdown();
    blocking.shutdown();
    try {
      cacheExecutor.awaitTermination(5, TimeUnit.SECONDS);
      blocking.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    cacheExecutor.shutdownNow();
    blocking.shutdownNow();
    store.close();
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
