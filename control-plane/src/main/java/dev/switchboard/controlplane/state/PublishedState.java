package dev.switchboard.controlplane.state;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.switchboard.controlplane.endpoints.EndpointsChange;
import dev.switchboard.controlplane.endpoints.EndpointsTracker;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.StoreEvent;
import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What subscribers are told: every service, each service's effective endpoints (derived from pods
 * for selector services, the explicit ones otherwise) and every node with its readiness. A pure
 * function of the stored state, maintained incrementally from cache events, so every replica
 * publishes the same thing for the same etcd revision; that is what lets a subscriber resume on any
 * replica from the version it last applied.
 *
 * <p>Mutated only on the cache thread; {@link #get}/{@link #all} may be read from any thread.
 * Changes that leave a resource equal to what was published are dropped, so a no-op write costs
 * subscribers nothing.
 */
public final class PublishedState implements CacheListener {
  private final EndpointsTracker tracker = new EndpointsTracker();
  private final Map<ResourceId, Resource> resources = new ConcurrentHashMap<>();
  private final List<PublishedListener> listeners = new CopyOnWriteArrayList<>();

  /** Confined to the cache thread. */
  private final Map<ResourceId, Service> services = new HashMap<>();

  /** Confined to the cache thread: explicit endpoints of selector-less services. */
  private final Map<ResourceId, Endpoints> explicitEndpoints = new HashMap<>();

  private volatile long version;

  public void addListener(PublishedListener listener) {
    listeners.add(listener);
  }

  public long version() {
    return version;
  }

  public Resource get(ResourceId id) {
    return resources.get(id);
  }

  /** The published resources: a live view (consistent only when read on the cache thread). */
  public Collection<Resource> all() {
    return resources.values();
  }

  /** A copy of the published resources; consistent with {@link #version()} on the cache thread. */
  public Map<ResourceId, Resource> snapshot() {
    return new HashMap<>(resources);
  }

  /** Builds the published state of a full listing (e.g. etcd as of an older revision). */
  public static Map<ResourceId, Resource> of(List<KeyValue> listing) {
    PublishedState state = new PublishedState();
    // Pods go to the tracker in one resync: one by one would recompute a large service per pod.
    List<Service> allServices = new ArrayList<>();
    List<Pod> allPods = new ArrayList<>();
    List<StoreEvent> others = new ArrayList<>(listing.size());
    for (KeyValue kv : listing) {
      if (kv.key().startsWith(Keys.PODS)) {
        allPods.add(StoredObjects.pod(kv));
      } else {
        if (kv.key().startsWith(Keys.SERVICES)) {
          allServices.add(StoredObjects.service(kv));
        }
        others.add(new StoreEvent(StoreEvent.Type.PUT, kv, null));
      }
    }
    state.tracker.resync(allServices, allPods);
    state.onChanges(others, 0);
    return state.snapshot();
  }

  @Override
  public void onChanges(List<StoreEvent> events, long revision) {
    Map<Long, ChangeOrigin> origins = origins(events);
    Map<ResourceId, ChangeOrigin> touchedEndpoints = new LinkedHashMap<>();
    List<ResourceChange> changes = new ArrayList<>();
    for (StoreEvent event : events) {
      String key = event.key();
      boolean put = event.type() == StoreEvent.Type.PUT;
      ChangeOrigin origin = origins.get(event.revision());
      if (key.startsWith(Keys.SERVICES)) {
        String[] nn = Keys.namespaceAndName(key);
        ResourceId id = new ResourceId(Kind.SERVICE, nn[0], nn[1]);
        List<EndpointsChange> derived;
        if (put) {
          Service service = StoredObjects.service(event.current());
          services.put(id, service);
          derived = tracker.onServiceUpsert(service);
          publish(id, Resource.newBuilder().setService(service).build(), changes, origin);
        } else {
          services.remove(id);
          derived = tracker.onServiceDelete(nn[0], nn[1]);
          publish(id, null, changes, origin);
        }
        touch(touchedEndpoints, new ResourceId(Kind.ENDPOINTS, nn[0], nn[1]), origin);
        derived.forEach(c -> touch(touchedEndpoints, endpointsId(c), origin));
      } else if (key.startsWith(Keys.PODS)) {
        String[] nn = Keys.namespaceAndName(key);
        List<EndpointsChange> derived =
            put
                ? tracker.onPodUpsert(StoredObjects.pod(event.current()))
                : tracker.onPodDelete(nn[0], nn[1]);
        derived.forEach(c -> touch(touchedEndpoints, endpointsId(c), origin));
      } else if (key.startsWith(Keys.ENDPOINTS)) {
        String[] nn = Keys.namespaceAndName(key);
        ResourceId id = new ResourceId(Kind.ENDPOINTS, nn[0], nn[1]);
        if (put) {
          explicitEndpoints.put(id, StoredObjects.endpoints(event.current()));
        } else {
          explicitEndpoints.remove(id);
        }
        touch(touchedEndpoints, id, origin);
      } else if (key.startsWith(Keys.NODES)) {
        // Readiness is the stored object's own (discovery.NodeLifecycle writes it), so a node is
        // published as written.
        String name = key.substring(Keys.NODES.length());
        publish(
            new ResourceId(Kind.NODE, "", name),
            put ? Resource.newBuilder().setNode(StoredObjects.node(event.current())).build() : null,
            changes,
            origin);
      }
    }
    for (Map.Entry<ResourceId, ChangeOrigin> e : touchedEndpoints.entrySet()) {
      Endpoints effective = effectiveEndpoints(e.getKey());
      publish(
          e.getKey(),
          effective == null ? null : Resource.newBuilder().setEndpoints(effective).build(),
          changes,
          e.getValue());
    }
    version = Math.max(version, revision);
    if (!changes.isEmpty()) {
      for (PublishedListener listener : listeners) {
        listener.onPublished(changes, version);
      }
    }
  }

  /**
   * The origins written with the changes of this batch (see {@link Keys#LAST_CHANGE}), by revision.
   */
  private static Map<Long, ChangeOrigin> origins(List<StoreEvent> events) {
    Map<Long, ChangeOrigin> out = new HashMap<>();
    for (StoreEvent event : events) {
      if (event.type() == StoreEvent.Type.PUT && event.key().equals(Keys.LAST_CHANGE)) {
        try {
          out.put(
              event.revision(),
              ChangeOrigin.parseFrom(event.current().value()).toBuilder()
                  .setRevision(event.revision())
                  .build());
        } catch (InvalidProtocolBufferException e) {
          // not ours to fail on: the change is published without an origin
        }
      }
    }
    return out;
  }

  /** Records that {@code id} changed; a known origin is never replaced by an unknown one. */
  private static <K> void touch(Map<K, ChangeOrigin> touched, K id, ChangeOrigin origin) {
    if (origin != null || !touched.containsKey(id)) {
      touched.put(id, origin);
    }
  }

  private Endpoints effectiveEndpoints(ResourceId endpointsId) {
    Service service =
        services.get(new ResourceId(Kind.SERVICE, endpointsId.namespace(), endpointsId.name()));
    if (service == null) {
      return null;
    }
    if (service.getSpec().getSelectorCount() > 0) {
      return tracker.get(endpointsId.namespace(), endpointsId.name()).orElse(null);
    }
    Endpoints explicit = explicitEndpoints.get(endpointsId);
    if (explicit != null) {
      return explicit.toBuilder()
          .setMetadata(
              ObjectMeta.newBuilder()
                  .setNamespace(endpointsId.namespace())
                  .setName(endpointsId.name()))
          .build();
    }
    return Endpoints.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace(endpointsId.namespace())
                .setName(endpointsId.name()))
        .build();
  }

  private void publish(
      ResourceId id, Resource resource, List<ResourceChange> changes, ChangeOrigin origin) {
    Resource previous = resource == null ? resources.remove(id) : resources.put(id, resource);
    if (!Objects.equals(previous, resource)) {
      changes.add(new ResourceChange(id, previous, resource, origin));
    }
  }

  private static ResourceId endpointsId(EndpointsChange change) {
    return new ResourceId(Kind.ENDPOINTS, change.namespace(), change.service());
  }
}
