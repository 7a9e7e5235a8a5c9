package dev.switchboard.bench.scale;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Role;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One simulated node agent: a raw Discovery stream that says hello as a fresh AGENT, takes every
 * response, ACKs it at once, and records when each version arrived. A "full" agent also parses and
 * applies the resources (to check content); a light one only walks the bytes ({@link
 * ResponseHeader}). Neither programs listeners: this measures the control plane's side.
 */
final class SimAgent {
  private static final int HISTORY = 512;
  private static final MethodDescriptor<DiscoveryRequest, ResponseHeader> LIGHT_STREAM =
      DiscoveryGrpc.getStreamMethod().toBuilder(
              ProtoUtils.marshaller(DiscoveryRequest.getDefaultInstance()),
              ResponseHeader.MARSHALLER)
          .build();

  final String name;
  final String address;
  private final boolean full;

  /** Full agents only: kind/namespace/name → resource. Written on the stream's thread. */
  private final Map<String, Resource> state = new ConcurrentHashMap<>();

  private volatile ClientCallStreamObserver<DiscoveryRequest> requests;
  private volatile long version;
  private volatile long bytes;
  private volatile long messages;
  private volatile int snapshots;
  private volatile long connectNanos;
  private volatile long snapshotDoneNanos;
  private volatile Throwable error;
  private volatile boolean ended;

  /** Versions reached and when (System.nanoTime), oldest overwritten. Guarded by this. */
  private final long[] versions = new long[HISTORY];

  private final long[] times = new long[HISTORY];
  private int next;

  SimAgent(String name, String address, boolean full) {
    this.name = name;
    this.address = address;
    this.full = full;
  }

  /** Opens a stream saying {@code lastVersion} (0: new, a snapshot follows; else a resume). */
  void connect(ManagedChannel channel, long lastVersion) {
    connectNanos = System.nanoTime();
    snapshotDoneNanos = 0;
    error = null;
    ended = false;
    if (full) {
      DiscoveryGrpc.newStub(channel).stream(observer(this::onFull));
    } else {
      ClientCalls.asyncBidiStreamingCall(
          channel.newCall(LIGHT_STREAM, CallOptions.DEFAULT), observer(this::onHeader));
    }
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setNodeName(name)
                    .setNodeAddress(address)
                    .setRole(Role.AGENT)
                    .setLastVersion(lastVersion))
            .build());
  }

  private <T> ClientResponseObserver<DiscoveryRequest, T> observer(
      java.util.function.Consumer<T> onNext) {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
        requests = stream;
      }

      @Override
      public void onNext(T value) {
        onNext.accept(value);
      }

      @Override
      public void onError(Throwable t) {
        error = t;
        ended = true;
      }

      @Override
      public void onCompleted() {
        ended = true;
      }
    };
  }

  private void onFull(DiscoveryResponse response) {
    if (response.getSnapshot()) {
      state.clear();
    }
    for (Resource r : response.getResourcesList()) {
      state.put(key(r), r);
    }
    for (ResourceKey k : response.getRemovedList()) {
      state.remove(k.getKind() + "/" + k.getNamespace() + "/" + k.getName());
    }
    onHeader(ResponseHeader.of(response));
  }

  private void onHeader(ResponseHeader h) {
    long now = System.nanoTime();
    bytes += h.bytes();
    if (h.snapshot()) {
      snapshots++;
    }
    messages++;
    if (!h.more()) {
      synchronized (this) {
        versions[next] = h.version();
        times[next] = now;
        next = (next + 1) % HISTORY;
      }
      if (snapshotDoneNanos == 0) {
        snapshotDoneNanos = now;
      }
      version = h.version();
    }
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setAck(Ack.newBuilder().setNonce(h.nonce()).setVersion(h.version()))
            .build());
  }

  private static String key(Resource r) {
    return switch (r.getKindCase()) {
      case SERVICE ->
          "SERVICE/"
              + r.getService().getMetadata().getNamespace()
              + "/"
              + r.getService().getMetadata().getName();
      case ENDPOINTS ->
          "ENDPOINTS/"
              + r.getEndpoints().getMetadata().getNamespace()
              + "/"
              + r.getEndpoints().getMetadata().getName();
      case NODE -> "NODE//" + r.getNode().getMetadata().getName();
      default -> "?";
    };
  }

  /** When this agent first held version {@code atLeast} or later, or -1 (not yet / forgotten). */
  synchronized long reachedAt(long atLeast) {
    long best = -1;
    for (int i = 0; i < HISTORY; i++) {
      if (versions[i] >= atLeast && times[i] != 0 && (best == -1 || times[i] - best < 0)) {
        best = times[i];
      }
    }
    return best;
  }

  long version() {
    return version;
  }

  long bytes() {
    return bytes;
  }

  /** How many snapshots (responses that replace everything) this agent was sent. */
  int snapshots() {
    return snapshots;
  }

  long messages() {
    return messages;
  }

  /** Nanoseconds from the last hello to the first complete batch after it, or -1. */
  long snapshotNanos() {
    return snapshotDoneNanos == 0 ? -1 : snapshotDoneNanos - connectNanos;
  }

  Throwable error() {
    return error;
  }

  boolean ended() {
    return ended;
  }

  /** Full agents: how many resources of a kind ("SERVICE", "ENDPOINTS", "NODE") it holds. */
  int count(String kind) {
    return (int) state.keySet().stream().filter(k -> k.startsWith(kind + "/")).count();
  }

  /** Full agents: the number of endpoint addresses over all services. */
  int endpointAddresses() {
    return state.values().stream()
        .filter(Resource::hasEndpoints)
        .mapToInt(r -> r.getEndpoints().getEndpointsCount())
        .sum();
  }

  void close() {
    try {
      requests.onCompleted();
    } catch (RuntimeException alreadyClosed) {
      // the stream ended first
    }
  }
}
