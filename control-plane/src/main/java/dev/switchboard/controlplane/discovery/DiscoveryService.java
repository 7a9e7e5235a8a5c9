package dev.switchboard.controlplane.discovery;

import dev.switchboard.controlplane.state.ClusterCache;
import dev.switchboard.controlplane.state.PublishedListener;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.state.ResourceChange;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.telemetry.PushTracing;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Discovery stream. A new subscriber gets a snapshot; one that says it applied version V gets
 * only the difference between the published state at V (read from etcd as of revision V, so any
 * replica can answer) and now; then every change as a coalesced delta.
 *
 * <p>Bound with its own response marshaller ({@link EncodedResponse}): a change that many
 * subscribers are owed alike is serialized once ({@link Broadcast}) and the same bytes go to each;
 * on the wire it is the generated {@code switchboard.v1.Discovery/Stream}.
 */
public final class DiscoveryService implements BindableService, PublishedListener {
  private static final Logger log = LoggerFactory.getLogger(DiscoveryService.class);

  private final ClusterCache cache;
  private final PublishedState state;
  private final Store store;
  private final NodeLeases leases;
  private final NodeLifecycle lifecycle;
  private final Executor blocking;
  private final ResumeBases resumeBases;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private final AtomicLong nonces = new AtomicLong();
  private final PushTracing tracing;

  /** Set when this replica shuts down: its agents' leases are left to lapse, not revoked. */
  private volatile boolean draining;

  /** Snapshots of the current version, serialized once per role; on the cache thread. */
  private final SharedSnapshots snapshots;

  /**
   * @param lifecycle told when an agent's stream ends here, so its node is not ready at once
   * @param blocking runs the etcd calls a hello needs (registration, reading old state), off the
   *     gRPC and cache threads
   * @param tracing the span (and count) of every push that carries a traced change
   */
  public DiscoveryService(
      ClusterCache cache,
      PublishedState state,
      Store store,
      Duration nodeLeaseTtl,
      NodeLifecycle lifecycle,
      Executor blocking,
      PushTracing tracing) {
    this.lifecycle = lifecycle;
    this.tracing = tracing;
    this.cache = cache;
    this.state = state;
    this.store = store;
    this.leases = new NodeLeases(store, nodeLeaseTtl);
    this.blocking = blocking;
    this.resumeBases = new ResumeBases(cache, store, System::nanoTime);
    this.snapshots = new SharedSnapshots(nonces);
    state.addListener(this);
  }

  @Override
  public void onPublished(List<ResourceChange> changes, long version) {
    resumeBases.onPublished(changes);
    snapshots.clear();
    Broadcast broadcast = new Broadcast(changes, version, nonces);
    for (Subscription subscription : subscriptions) {
      subscription.offer(changes, version, broadcast);
    }
  }

  /** What each subscriber has acknowledged: for tests, benchmarks and operators. */
  public List<SubscriberStatus> subscribers() {
    return subscriptions.stream()
        .map(
            s ->
                new SubscriberStatus(
                    s.nodeName,
                    s.role,
                    s.ackedVersion(),
                    s.lastNack(),
                    s.bytesSent(),
                    s.pendingCount()))
        .toList();
  }

  /** The generated method and service, with {@link EncodedResponse} for responses. */
  @Override
  public ServerServiceDefinition bindService() {
    MethodDescriptor<DiscoveryRequest, EncodedResponse> method =
        DiscoveryGrpc.getStreamMethod().toBuilder(
                DiscoveryGrpc.getStreamMethod().getRequestMarshaller(), EncodedResponse.MARSHALLER)
            .build();
    ServiceDescriptor generated = DiscoveryGrpc.getServiceDescriptor();
    return ServerServiceDefinition.builder(
            ServiceDescriptor.newBuilder(generated.getName())
                .setSchemaDescriptor(generated.getSchemaDescriptor())
                .addMethod(method)
                .build())
        .addMethod(method, ServerCalls.asyncBidiStreamingCall(this::stream))
        .build();
  }

  StreamObserver<DiscoveryRequest> stream(StreamObserver<EncodedResponse> responses) {
    ServerCallStreamObserver<EncodedResponse> out =
        (ServerCallStreamObserver<EncodedResponse>) responses;
    AtomicReference<Subscription> current = new AtomicReference<>();
    AtomicReference<NodeLeases.Registration> registration = new AtomicReference<>();
    // Must be set now, during the call's start; the subscription appears with the hello.
    out.setOnReadyHandler(
        () -> {
          Subscription s = current.get();
          if (s != null) {
            s.drain();
          }
        });
    Runnable cleanup =
        () -> {
          Subscription s = current.get();
          if (s != null) {
            subscriptions.remove(s);
            s.close();
          }
          NodeLeases.Registration reg = registration.getAndSet(null);
          if (reg != null) {
            end(reg, s.nodeName); // a registration comes after its subscription's hello
          }
        };
    out.setOnCancelHandler(cleanup::run);

    return new StreamObserver<>() {
      @Override
      public void onNext(DiscoveryRequest request) {
        switch (request.getKindCase()) {
          case HELLO -> {
            if (current.get() != null) {
              fail(out, Status.INVALID_ARGUMENT.withDescription("hello: sent twice on one stream"));
              return;
            }
            Hello hello = request.getHello();
            String invalid = validate(hello);
            if (invalid != null) {
              fail(out, Status.INVALID_ARGUMENT.withDescription(invalid));
              return;
            }
            Subscription s =
                new Subscription(hello.getNodeName(), hello.getRole(), out, nonces, tracing);
            current.set(s);
            start(s, hello, out, registration);
          }
          case ACK -> {
            Subscription s = current.get();
            if (s == null) {
              fail(out, Status.INVALID_ARGUMENT.withDescription("ack: sent before hello"));
              return;
            }
            s.onAck(request.getAck().getVersion(), request.getAck().getErrorDetail());
            if (!request.getAck().getErrorDetail().isEmpty()) {
              log.warn(
                  "{} {} NACKed version {}: {}",
                  s.role,
                  s.nodeName,
                  request.getAck().getVersion(),
                  request.getAck().getErrorDetail());
            }
          }
          default ->
              fail(
                  out,
                  Status.INVALID_ARGUMENT.withDescription(
                      "request: empty (expected: hello or ack)"));
        }
      }

      @Override
      public void onError(Throwable t) {
        cleanup.run();
      }

      @Override
      public void onCompleted() {
        cleanup.run();
        try {
          out.onCompleted();
        } catch (IllegalStateException alreadyClosed) {
          // the stream was failed before the client half-closed
        }
      }
    };
  }

  private void start(
      Subscription s,
      Hello hello,
      ServerCallStreamObserver<EncodedResponse> out,
      AtomicReference<NodeLeases.Registration> registration) {
    blocking.execute(
        () -> {
          try {
            if (hello.getRole() == Role.AGENT) {
              NodeLeases.Registration reg =
                  leases.register(
                      hello.getNodeName(), hello.getNodeAddress(), hello.getLabelsMap());
              if (!registration.compareAndSet(null, reg) || out.isCancelled()) {
                end(reg, hello.getNodeName());
                return;
              }
            }
            long last = hello.getLastVersion();
            ResumeBases.Base base = last > 0 ? resumeBases.acquire(last) : null;
            cache.execute(
                () -> {
                  if (out.isCancelled()) {
                    return;
                  }
                  subscriptions.add(s);
                  if (base == null) {
                    s.offerSharedSnapshot(snapshots.get(s.role, state.version(), state::snapshot));
                  } else {
                    s.offerDiff(
                        base.state.join(),
                        resumeBases.candidates(base, state),
                        state,
                        state.version());
                  }
                });
          } catch (RuntimeException e) {
            log.warn(
                "{} {}: could not start the stream: {}",
                hello.getRole(),
                hello.getNodeName(),
                e.getMessage());
            fail(
                out,
                Status.UNAVAILABLE.withDescription(
                    "control plane cannot reach etcd: " + e.getMessage()));
          }
        });
  }

  /**
   * From now on, streams that end are this replica's doing: their agents' leases lapse after their
   * TTL instead of being revoked, so the agents can reach another replica first (a rolling
   * replacement does not flap every node). Call before the server stops.
   */
  public void drain() {
    draining = true;
  }

  /** Ends an agent's registration: released (its node not ready now) unless draining. */
  private void end(NodeLeases.Registration reg, String node) {
    if (draining) {
      reg.abandon();
      return;
    }
    if (node != null) {
      lifecycle.streamEnded(node);
    }
    try {
      blocking.execute(reg::release);
    } catch (RejectedExecutionException shuttingDown) {
      reg.abandon();
    }
  }

  private static String validate(Hello hello) {
    if (hello.getNodeName().isEmpty()) {
      return "hello.nodeName: Required value";
    }
    if (hello.getRole() != Role.AGENT && hello.getRole() != Role.LOAD_BALANCER) {
      return "hello.role: Unsupported value: \""
          + hello.getRole()
          + "\": supported values: "
          + "\"AGENT\", \"LOAD_BALANCER\"";
    }
    if (hello.getLastVersion() < 0) {
      return "hello.lastVersion: Invalid value: "
          + hello.getLastVersion()
          + ": must be greater than or equal to 0";
    }
    if (hello.getRole() == Role.AGENT && hello.getNodeAddress().isEmpty()) {
      return "hello.nodeAddress: Required value";
    }
    return null;
  }

  private static void fail(ServerCallStreamObserver<EncodedResponse> out, Status status) {
    try {
      out.onError(status.asRuntimeException());
    } catch (IllegalStateException alreadyClosed) {
      // nothing to tell a closed stream
    }
  }

  /** One subscriber's progress. */
  public record SubscriberStatus(
      String nodeName,
      Role role,
      long ackedVersion,
      String lastNack,
      long bytesSent,
      int pending) {}
}
