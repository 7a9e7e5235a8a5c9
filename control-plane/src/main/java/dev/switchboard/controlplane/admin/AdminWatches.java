package dev.switchboard.controlplane.admin;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.switchboard.controlplane.labels.LabelSelector;
import dev.switchboard.controlplane.state.CacheListener;
import dev.switchboard.controlplane.state.ClusterCache;
import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.PublishedListener;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.state.ResourceChange;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Admin API's Watch ({@code sbctl get -w}): the current objects as ADDED (unless the
 * request names a resource_version), then every change. Each watcher has a bounded queue; one
 * that falls too far behind is closed with RESOURCE_EXHAUSTED, as Kubernetes closes slow
 * watchers, rather than holding memory without bound.
 */
public final class AdminWatches implements CacheListener, PublishedListener {
  static final int MAX_QUEUED = 10_000;

  private final ClusterCache cache;
  private final PublishedState published;
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();

  public AdminWatches(ClusterCache cache, PublishedState published) {
    this.cache = cache;
    this.published = published;
    cache.addListener(this);
    published.addListener(this);
  }

  void watch(WatchRequest request, StreamObserver<WatchEvent> response) {
    if (request.getKind() == Kind.KIND_UNSPECIFIED || request.getKind() == Kind.UNRECOGNIZED) {
      throw new IllegalArgumentException("kind: Required value: one of SERVICE, POD, ENDPOINTS, NODE");
    }
    LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
    ServerCallStreamObserver<WatchEvent> out = (ServerCallStreamObserver<WatchEvent>) response;
    Watcher watcher = new Watcher(request, selector, out);
    out.setOnReadyHandler(watcher::drain);
    out.setOnCancelHandler(() -> watchers.remove(watcher));
    cache.execute(() -> {
      if (out.isCancelled()) {
        return;
      }
      if (request.getResourceVersion() == 0) {
        initial(watcher);
      }
      watchers.add(watcher);
      watcher.enqueue(WatchEvent.newBuilder().setType(WatchEvent.Type.BOOKMARK)
          .setResourceVersion(cache.revision()).build());
    });
  }

  private void initial(Watcher watcher) {
    if (watcher.request.getKind() == Kind.POD) {
      for (KeyValue kv : cache.scan(Keys.namespaced(Keys.PODS, watcher.request.getNamespace()))) {
        watcher.offerPod(WatchEvent.Type.ADDED, StoredObjects.pod(kv), kv.modRevision());
      }
    } else {
      for (Resource resource : published.snapshot().values()) {
        watcher.offerResource(WatchEvent.Type.ADDED, resource, published.version());
      }
    }
  }

  @Override
  public void onChanges(List<StoreEvent> events, long revision) {
    if (watchers.isEmpty()) {
      return;
    }
    for (StoreEvent event : events) {
      if (!event.key().startsWith(Keys.PODS)) {
        continue;
      }
      for (Watcher w : watchers) {
        if (w.request.getKind() != Kind.POD) {
          continue;
        }
        if (event.type() == StoreEvent.Type.DELETE) {
          if (event.previous() != null) {
            w.offerPod(WatchEvent.Type.DELETED, StoredObjects.pod(event.previous()), event.revision());
          }
        } else {
          w.offerPod(event.previous() == null ? WatchEvent.Type.ADDED : WatchEvent.Type.MODIFIED,
              StoredObjects.pod(event.current()), event.revision());
        }
      }
    }
  }

  @Override
  public void onPublished(List<ResourceChange> changes, long version) {
    for (ResourceChange change : changes) {
      for (Watcher w : watchers) {
        if (change.current() == null) {
          w.offerResource(WatchEvent.Type.DELETED, change.previous(), version);
        } else {
          w.offerResource(change.previous() == null ? WatchEvent.Type.ADDED
              : WatchEvent.Type.MODIFIED, change.current(), version);
        }
      }
    }
  }

  private final class Watcher {
    final WatchRequest request;
    final LabelSelector selector;
    final ServerCallStreamObserver<WatchEvent> out;
    @GuardedBy("this")
    final ArrayDeque<WatchEvent> queue = new ArrayDeque<>();
    @GuardedBy("this")
    boolean closed;

    Watcher(WatchRequest request, LabelSelector selector, ServerCallStreamObserver<WatchEvent> out) {
      this.request = request;
      this.selector = selector;
      this.out = out;
    }

    void offerPod(WatchEvent.Type type, Pod pod, long revision) {
      if (matches(pod.getMetadata().getNamespace(), pod.getMetadata().getLabelsMap())) {
        enqueue(WatchEvent.newBuilder().setType(type).setResourceVersion(revision).setPod(pod)
            .build());
      }
    }

    void offerResource(WatchEvent.Type type, Resource resource, long version) {
      ResourceId id = ResourceId.of(resource);
      if (id.kind() != request.getKind() || !matches(id.namespace(), labelsOf(resource))) {
        return;
      }
      WatchEvent.Builder event = WatchEvent.newBuilder().setType(type).setResourceVersion(version);
      switch (resource.getKindCase()) {
        case SERVICE -> event.setService(resource.getService());
        case ENDPOINTS -> event.setEndpoints(resource.getEndpoints());
        case NODE -> event.setNode(resource.getNode());
        default -> {
          return;
        }
      }
      enqueue(event.build());
    }

    private Map<String, String> labelsOf(Resource resource) {
      return switch (resource.getKindCase()) {
        case SERVICE -> resource.getService().getMetadata().getLabelsMap();
        case NODE -> resource.getNode().getMetadata().getLabelsMap();
        case ENDPOINTS -> {
          Resource service = published.get(new ResourceId(Kind.SERVICE,
              resource.getEndpoints().getMetadata().getNamespace(),
              resource.getEndpoints().getMetadata().getName()));
          yield service == null ? Map.of() : service.getService().getMetadata().getLabelsMap();
        }
        default -> Map.of();
      };
    }

    private boolean matches(String namespace, Map<String, String> labels) {
      return (request.getNamespace().isEmpty() || request.getNamespace().equals(namespace))
          && selector.matches(labels);
    }

    synchronized void enqueue(WatchEvent event) {
      if (closed) {
        return;
      }
      if (queue.size() >= MAX_QUEUED) {
        closed = true;
        queue.clear();
        watchers.remove(this);
        out.onError(Status.RESOURCE_EXHAUSTED.withDescription("watch fell more than " + MAX_QUEUED
            + " events behind; list again and watch from the new resource_version")
            .asRuntimeException());
        return;
      }
      queue.add(event);
      drain();
    }

    synchronized void drain() {
      while (!closed && !queue.isEmpty() && out.isReady()) {
        out.onNext(queue.poll());
      }
    }
  }
}
