package dev.switchboard.controlplane.discovery;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.state.ResourceChange;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.telemetry.PushTracing;
import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import io.grpc.stub.ServerCallStreamObserver;
import io.opentelemetry.api.trace.Span;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber's stream: a coalescing queue of what it has not been sent yet, drained while gRPC
 * says the stream is ready.
 *
 * <p>The queue holds at most one entry per object (the latest state replaces an unsent older one),
 * so a slow subscriber costs memory bounded by the cluster's size, and never blocks the cache
 * thread or any other subscriber: offering only writes to this map. A subscriber with nothing
 * queued skips the map: it is sent the batch's shared message ({@link Broadcast}).
 */
final class Subscription {
  /** Resources per message, and bytes: keep each message well under gRPC's default 4 MiB. */
  static final int MAX_RESOURCES_PER_MESSAGE = 500;

  static final int MAX_BYTES_PER_MESSAGE = 1 << 20;
  private static final Resource REMOVED = Resource.getDefaultInstance();

  final String nodeName;
  final Role role;
  private final ServerCallStreamObserver<EncodedResponse> stream;
  private final AtomicLong nonces;
  private final PushTracing tracing;

  @GuardedBy("this")
  private final Map<ResourceId, Resource> pending = new LinkedHashMap<>();

  /** Where the pending state of an object came from (the write's time and trace), when known. */
  @GuardedBy("this")
  private final Map<ResourceId, ChangeOrigin> pendingOrigins = new HashMap<>();

  /** The version the subscriber reaches once everything pending is sent. */
  @GuardedBy("this")
  private long pendingVersion;

  @GuardedBy("this")
  private long sentVersion;

  @GuardedBy("this")
  private boolean started;

  @GuardedBy("this")
  private boolean closed;

  /** A shared snapshot being sent ahead of anything pending; null when none. */
  @GuardedBy("this")
  private SharedSnapshots.Chunks snapshot;

  /** How many of {@link #snapshot}'s messages were sent. */
  @GuardedBy("this")
  private int snapshotSent;

  private volatile long ackedVersion;
  private volatile String lastNack = "";
  private volatile long bytesSent;

  Subscription(
      String nodeName,
      Role role,
      ServerCallStreamObserver<EncodedResponse> stream,
      AtomicLong nonces,
      PushTracing tracing) {
    this.nodeName = nodeName;
    this.role = role;
    this.stream = stream;
    this.nonces = nonces;
    this.tracing = tracing;
  }

  /** Whether a subscriber of this role is told about the resource. */
  boolean wants(Resource resource) {
    return wants(role, resource);
  }

  static boolean wants(Role role, Resource resource) {
    if (resource == null) {
      return false;
    }
    return switch (role) {
      case LOAD_BALANCER ->
          resource.hasNode()
              || (resource.hasService()
                  && "LoadBalancer".equals(resource.getService().getSpec().getType()));
      default -> true;
    };
  }

  /**
   * Starts the stream with a snapshot serialized once for every fresh subscriber of this role at
   * its version ({@link SharedSnapshots}); what is offered meanwhile queues behind it.
   */
  synchronized void offerSharedSnapshot(SharedSnapshots.Chunks chunks) {
    snapshot = chunks;
    snapshotSent = 0;
    pendingVersion = chunks.version();
    started = true;
    drain();
  }

  /**
   * Queues the difference between what the subscriber holds ({@code held}) and the published state,
   * looking only at {@code candidates}: the ids that may differ (see {@link ResumeBases}). Called
   * on the cache thread, where {@code current} is consistent with {@code version}.
   */
  synchronized void offerDiff(
      Map<ResourceId, Resource> held,
      Set<ResourceId> candidates,
      PublishedState current,
      long version) {
    for (ResourceId id : candidates) {
      Resource before = held.get(id);
      Resource now = current.get(id);
      if (!Objects.equals(before, now)) {
        offerOne(id, before, now, null);
      }
    }
    pendingVersion = Math.max(pendingVersion, version);
    started = true;
    drain();
  }

  /**
   * Queues changes; called on the cache thread for every published batch. A subscriber with nothing
   * pending whose stream is ready is sent {@code broadcast}'s shared message for its role at once:
   * the same message it would build, serialized once for all such subscribers.
   */
  synchronized void offer(List<ResourceChange> changes, long version, Broadcast broadcast) {
    if (!started) {
      return; // the initial snapshot or diff, taken later on the cache thread, includes these
    }
    if (!closed
        && snapshot == null
        && pending.isEmpty()
        && pendingOrigins.isEmpty()
        && pendingVersion <= version
        && stream.isReady()) {
      Broadcast.Message shared = broadcast.forRole(role);
      if (shared != null) {
        pendingVersion = version;
        sentVersion = version;
        send(shared);
        return;
      }
    }
    for (ResourceChange change : changes) {
      offerOne(change.id(), change.previous(), change.current(), change.origin());
    }
    pendingVersion = Math.max(pendingVersion, version);
    drain();
  }

  @GuardedBy("this")
  private void offerOne(ResourceId id, Resource previous, Resource current, ChangeOrigin origin) {
    queue(role, pending, pendingOrigins, id, previous, current, origin);
  }

  /** Merges one change into a coalescing queue as a subscriber of {@code role} sees it. */
  static void queue(
      Role role,
      Map<ResourceId, Resource> pending,
      Map<ResourceId, ChangeOrigin> pendingOrigins,
      ResourceId id,
      Resource previous,
      Resource current,
      ChangeOrigin origin) {
    if (wants(role, current)) {
      pending.put(id, current);
    } else if (wants(role, previous) || pending.containsKey(id)) {
      // It was visible (or is queued): the subscriber must drop it.
      pending.put(id, REMOVED);
    } else {
      return;
    }
    if (origin != null) {
      // A later write replaces an earlier one's origin; an unknown one keeps it (still pending).
      pendingOrigins.put(id, origin);
    }
  }

  /**
   * Moves what fits in one message from the head of {@code pending} into {@code response} (at most
   * {@link #MAX_RESOURCES_PER_MESSAGE} objects, about {@link #MAX_BYTES_PER_MESSAGE}); returns the
   * origins of what it moved, by revision.
   */
  static Map<Long, ChangeOrigin> take(
      DiscoveryResponse.Builder response,
      Map<ResourceId, Resource> pending,
      Map<ResourceId, ChangeOrigin> pendingOrigins) {
    Iterator<Map.Entry<ResourceId, Resource>> it = pending.entrySet().iterator();
    int count = 0;
    long bytes = 0;
    Map<Long, ChangeOrigin> origins = new LinkedHashMap<>();
    while (it.hasNext() && count < MAX_RESOURCES_PER_MESSAGE && bytes < MAX_BYTES_PER_MESSAGE) {
      Map.Entry<ResourceId, Resource> e = it.next();
      ChangeOrigin origin = pendingOrigins.remove(e.getKey());
      if (origin != null) {
        origins.putIfAbsent(origin.getRevision(), origin);
      }
      if (e.getValue() == REMOVED) {
        response.addRemoved(e.getKey().toProto());
      } else {
        response.addResources(e.getValue());
        bytes += e.getValue().getSerializedSize();
      }
      it.remove();
      count++;
    }
    return origins;
  }

  /**
   * Fills the next message of a batch from {@code pending} ({@link #take}). A partial message
   * carries the version the subscriber had ({@code had}) and {@code more}: only the last one of a
   * batch advances it to {@code version}, so an ACK never claims a state not fully received.
   */
  static Map<Long, ChangeOrigin> nextMessage(
      DiscoveryResponse.Builder response,
      Map<ResourceId, Resource> pending,
      Map<ResourceId, ChangeOrigin> pendingOrigins,
      long version,
      long had) {
    Map<Long, ChangeOrigin> origins = take(response, pending, pendingOrigins);
    response.setVersion(pending.isEmpty() ? version : had).setMore(!pending.isEmpty());
    return origins;
  }

  /** Sends what is pending while the stream is ready; called again from gRPC's onReady. */
  synchronized void drain() {
    if (closed || !started) {
      return;
    }
    while (snapshot != null && stream.isReady()) {
      int i = snapshotSent++;
      boolean last = snapshotSent == snapshot.messages().size();
      EncodedResponse message = EncodedResponse.shared(snapshot.messages().get(i), null);
      bytesSent += message.serializedSize();
      // A snapshot carries no change's origin: no span, but counted as a push like any message.
      tracing
          .start(
              last ? snapshot.version() : 0,
              snapshot.resources().get(i),
              0,
              List.of(),
              nodeName,
              role.name())
          .end();
      if (last) {
        sentVersion = snapshot.version();
        snapshot = null;
      }
      stream.onNext(message);
    }
    if (snapshot != null) {
      return; // the rest of it when the stream is ready again; anything pending comes after it
    }
    while (stream.isReady() && (!pending.isEmpty() || sentVersion < pendingVersion)) {
      DiscoveryResponse.Builder response =
          DiscoveryResponse.newBuilder().setNonce(Long.toString(nonces.incrementAndGet()));
      Map<Long, ChangeOrigin> origins =
          nextMessage(response, pending, pendingOrigins, pendingVersion, sentVersion);
      if (pending.isEmpty()) {
        sentVersion = pendingVersion;
      }
      response.addAllOrigins(origins.values());
      Span span = tracing.start(response, origins.values(), nodeName, role.name());
      EncodedResponse message = EncodedResponse.of(response.build());
      bytesSent += message.serializedSize();
      try {
        stream.onNext(message);
      } finally {
        span.end();
      }
    }
  }

  @GuardedBy("this")
  private void send(Broadcast.Message shared) {
    Span span =
        tracing.start(
            shared.version(),
            shared.resources(),
            shared.removed(),
            shared.origins(),
            nodeName,
            role.name());
    DiscoveryResponse own =
        span.getSpanContext().isValid()
            ? DiscoveryResponse.newBuilder().putAllTraceContext(PushTracing.context(span)).build()
            : null;
    EncodedResponse message = EncodedResponse.shared(shared.bytes(), own);
    bytesSent += message.serializedSize();
    try {
      stream.onNext(message);
    } finally {
      span.end();
    }
  }

  void onAck(long version, String errorDetail) {
    ackedVersion = Math.max(ackedVersion, version);
    lastNack = errorDetail;
  }

  synchronized void close() {
    closed = true;
    snapshot = null;
    pending.clear();
    pendingOrigins.clear();
  }

  long ackedVersion() {
    return ackedVersion;
  }

  String lastNack() {
    return lastNack;
  }

  long bytesSent() {
    return bytesSent;
  }

  synchronized int pendingCount() {
    return pending.size();
  }
}
