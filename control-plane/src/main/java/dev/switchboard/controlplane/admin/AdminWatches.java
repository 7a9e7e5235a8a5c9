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
import dev.switchboard.controlplane.store.CompactedException;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.controlplane.store.StoreException;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * The Admin API's Watch ({@code sbctl get -w}): the current objects as ADDED, or, when the request
 * names a resource_version (as an informer does after a list), what changed since that version
 * ({@link WatchReplay}; OUT_OF_RANGE when etcd compacted it, as Kubernetes answers 410 Gone); then
 * a BOOKMARK, then every change. Each watcher has a bounded queue; one that falls too far behind is
 * closed with RESOURCE_EXHAUSTED, as Kubernetes closes slow watchers, rather than holding memory
 * without bound.
 */
public final class AdminWatches implements CacheListener, PublishedListener {
  /** The one field a pod watch may select on, as Kubernetes' kubelet does. */
  static final String NODE_NAME_FIELD = "spec.nodeName";

  static final int MAX_QUEUED = 10_000;

  private final ClusterCache cache;
  private final PublishedState published;
  private final Store store;

  /** For the etcd read of a replay: never the gRPC or cache threads. */
  private final Executor blocking;

  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();

  /**
   * Pod keys by {@code spec.nodeName}, so that a node agent's watch lists its own pods, not every
   * pod of the cluster (every agent relists when it reconnects). On the cache thread.
   */
  private final Map<String, Set<String>> podsByNode = new HashMap<>();

  public AdminWatches(
      ClusterCache cache, PublishedState published, Store store, Executor blocking) {
    this.cache = cache;
    this.published = published;
    this.store = store;
    this.blocking = blocking;
    cache.addListener(this);
    published.addListener(this);
  }

  void watch(WatchRequest request, StreamObserver<WatchEvent> response) {
    if (request.getKind() == Kind.KIND_UNSPECIFIED || request.getKind() == Kind.UNRECOGNIZED) {
      throw new IllegalArgumentException(
          "kind: Required value: one of SERVICE, POD, ENDPOINTS, NODE");
    }
    LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
    String nodeName = nodeNameSelected(request);
    ServerCallStreamObserver<WatchEvent> out = (ServerCallStreamObserver<WatchEvent>) response;
    Watcher watcher = new Watcher(request, selector, nodeName, out);
    out.setOnReadyHandler(watcher::drain);
    out.setOnCancelHandler(() -> watchers.remove(watcher));
    long from = request.getResourceVersion();
    if (from < 0) {
      throw new IllegalArgumentException(
          "resourceVersion: Invalid value: "
              + from
              + ": must be 0 (current objects) or a resource_version from a list or an event");
    }
    if (from == 0) {
      cache.execute(() -> register(watcher, () -> initial(watcher)));
      return;
    }
    cache.execute(
        () -> {
          if (from >= cache.revision()) {
            register(
                watcher, () -> {}); // nothing happened since: the live changes are all there is
          } else {
            blocking.execute(() -> replayFrom(watcher, from));
          }
        });
  }

  /**
   * The node a {@code spec.nodeName=NAME} field selector names (pods only: what a node agent
   * watches), or null for none; any other selector is refused.
   */
  private static String nodeNameSelected(WatchRequest request) {
    String selector = request.getFieldSelector().strip();
    if (selector.isEmpty()) {
      return null;
    }
    String[] kv = selector.split("==?", 2);
    if (request.getKind() != Kind.POD
        || kv.length != 2
        || !kv[0].strip().equals(NODE_NAME_FIELD)
        || kv[1].isBlank()) {
      throw new IllegalArgumentException(
          "fieldSelector: Invalid value: \""
              + selector
              + "\": only "
              + NODE_NAME_FIELD
              + "=NAME is supported, for pods");
    }
    return kv[1].strip();
  }

  /** On the cache thread: what came before, then the watcher joins the live changes. */
  private void register(Watcher watcher, Runnable before) {
    if (watcher.out.isCancelled()) {
      return;
    }
    before.run();
    watchers.add(watcher);
    watcher.enqueue(
        WatchEvent.newBuilder()
            .setType(WatchEvent.Type.BOOKMARK)
            .setResourceVersion(cache.revision())
            .build());
  }

  /**
   * Off the cache thread: reads etcd at {@code from} (immutable, so any time will do), then diffs
   * it against the cache on the cache thread, where the registration follows with nothing between.
   */
  private void replayFrom(Watcher watcher, long from) {
    boolean pods = watcher.request.getKind() == Kind.POD;
    String prefix = pods ? Keys.namespaced(Keys.PODS, watcher.request.getNamespace()) : "";
    List<KeyValue> then;
    try {
      then = store.list(prefix, from).items();
    } catch (CompactedException e) {
      watcher.fail(
          Status.OUT_OF_RANGE.withDescription(
              "too old resource version: "
                  + from
                  + " (compacted); list again and watch from the list's resource_version"));
      return;
    } catch (StoreException e) {
      watcher.fail(
          Status.UNAVAILABLE.withDescription(
              "reading the state at resource_version " + from + ": " + e.getMessage()));
      return;
    }
    Map<ResourceId, Resource> thenResources = pods ? null : PublishedState.of(then);
    cache.execute(
        () ->
            register(
                watcher,
                () -> {
                  if (pods) {
                    WatchReplay.keys(
                        then,
                        cache.scan(prefix),
                        (type, kv) ->
                            watcher.offerPod(
                                type,
                                StoredObjects.pod(kv),
                                type == WatchEvent.Type.DELETED
                                    ? cache.revision()
                                    : kv.modRevision()));
                  } else {
                    WatchReplay.resources(
                        thenResources,
                        published.snapshot(),
                        (type, resource) ->
                            watcher.offerResource(type, resource, published.version()));
                  }
                }));
  }

  private void initial(Watcher watcher) {
    if (watcher.request.getKind() == Kind.POD && watcher.nodeName != null) {
      for (String key : podsByNode.getOrDefault(watcher.nodeName, Set.of())) {
        KeyValue kv = cache.get(key);
        if (kv != null) {
          watcher.offerPod(WatchEvent.Type.ADDED, StoredObjects.pod(kv), kv.modRevision());
        }
      }
    } else if (watcher.request.getKind() == Kind.POD) {
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
    for (StoreEvent event : events) {
      if (!event.key().startsWith(Keys.PODS)) {
        continue;
      }
      boolean deleted = event.type() == StoreEvent.Type.DELETE;
      Pod previous = event.previous() == null ? null : StoredObjects.pod(event.previous());
      Pod current = deleted ? null : StoredObjects.pod(event.current());
      index(event.key(), previous, current);
      if (watchers.isEmpty() || (deleted && previous == null)) {
        continue;
      }
      // Decoded once per event, whatever the number of watchers.
      WatchEvent.Type type =
          deleted
              ? WatchEvent.Type.DELETED
              : previous == null ? WatchEvent.Type.ADDED : WatchEvent.Type.MODIFIED;
      Pod pod = deleted ? previous : current;
      for (Watcher w : watchers) {
        if (w.request.getKind() == Kind.POD) {
          w.offerPod(type, pod, event.revision());
        }
      }
    }
  }

  private void index(String key, Pod previous, Pod current) {
    String before = previous == null ? null : previous.getSpec().getNodeName();
    String after = current == null ? null : current.getSpec().getNodeName();
    if (before != null && !before.equals(after)) {
      Set<String> keys = podsByNode.get(before);
      if (keys != null && keys.remove(key) && keys.isEmpty()) {
        podsByNode.remove(before);
      }
    }
    if (after != null && !after.isEmpty()) {
      podsByNode.computeIfAbsent(after, n -> new HashSet<>()).add(key);
    }
  }

  @Override
  public void onPublished(List<ResourceChange> changes, long version) {
    for (ResourceChange change : changes) {
      for (Watcher w : watchers) {
        if (change.current() == null) {
          w.offerResource(WatchEvent.Type.DELETED, change.previous(), version);
        } else {
          w.offerResource(
              change.previous() == null ? WatchEvent.Type.ADDED : WatchEvent.Type.MODIFIED,
              change.current(),
              version);
        }
      }
    }
  }

  private final class Watcher {
    final WatchRequest request;
    final LabelSelector selector;

    /** Pods bound to this node only; null: every pod. */
    final String nodeName;

    final ServerCallStreamObserver<WatchEvent> out;

    @GuardedBy("this")
    final ArrayDeque<WatchEvent> queue = new ArrayDeque<>();

    @GuardedBy("this")
    boolean closed;

    Watcher(
        WatchRequest request,
        LabelSelector selector,
        String nodeName,
        ServerCallStreamObserver<WatchEvent> out) {
      this.request = request;
      this.selector = selector;
      this.nodeName = nodeName;
      this.out = out;
    }

    void offerPod(WatchEvent.Type type, Pod pod, long revision) {
      if (matches(pod.getMetadata().getNamespace(), pod.getMetadata().getLabelsMap())
          && (nodeName == null || nodeName.equals(pod.getSpec().getNodeName()))) {
        enqueue(
            WatchEvent.newBuilder().setType(type).setResourceVersion(revision).setPod(pod).build());
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
          Resource service =
              published.get(
                  new ResourceId(
                      Kind.SERVICE,
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

    synchronized void fail(Status status) {
      if (!closed) {
        closed = true;
        queue.clear();
        out.onError(status.asRuntimeException());
      }
    }

    synchronized void enqueue(WatchEvent event) {
      if (closed) {
        return;
      }
      if (queue.size() >= MAX_QUEUED) {
        closed = true;
        queue.clear();
        watchers.remove(this);
        out.onError(
            Status.RESOURCE_EXHAUSTED
                .withDescription(
                    "watch fell more than "
                        + MAX_QUEUED
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
