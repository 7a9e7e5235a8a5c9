package dev.switchboard.controlplane.endpoints;

import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the derived endpoints of every selector service up to date, recomputing only the services a
 * change touches, and reports only the endpoints that actually changed.
 *
 * <p>The design requires that the cost of a change be proportional to what changed, not to the size
 * of the cluster: one pod becoming ready must produce that service's endpoints and nothing else.
 * Hence:
 *
 * <ul>
 *   <li>a pod event finds the services selecting the pod's old and new labels through a {@link
 *       SelectorIndex}, not by scanning services;
 *   <li>recomputing a service reads only the pods carrying the rarest pair of its selector (a
 *       label-pair index on pods), so it costs O(pods matching the selector);
 *   <li>each recomputed result is compared with the last one by {@code equals} (the {@link
 *       EndpointsBuilder} output is canonical), and equal results are dropped, so a re-applied pod,
 *       a pod change its services do not see, or a service update that does not touch selector or
 *       ports, produces no change.
 * </ul>
 *
 * <p>Every event method returns the changes it caused, sorted by namespace then service name. A
 * service with a selector always has endpoints (possibly none listed), so its first upsert reports
 * a change even when no pod matches; a change with {@code null} endpoints means the service's
 * derived endpoints are gone (service deleted or selector removed).
 *
 * <p><b>Threading:</b> not thread-safe, by contract. The caller confines every call to one thread
 * (one single-threaded executor fed by the store's watch), which keeps the event order equal to the
 * etcd revision order and needs no locks on the hot path.
 */
public final class EndpointsTracker {

  /** Orders changes and {@link #all()} output by namespace, then name. */
  private record Key(String namespace, String name) implements Comparable<Key> {
    private static final Comparator<Key> ORDER =
        Comparator.comparing(Key::namespace).thenComparing(Key::name);

    @Override
    public int compareTo(Key other) {
      return ORDER.compare(this, other);
    }
  }

  private static final Comparator<EndpointsChange> CHANGE_ORDER =
      Comparator.comparing(EndpointsChange::namespace).thenComparing(EndpointsChange::service);

  private final SelectorIndex services = new SelectorIndex();
  private final PodIndex pods = new PodIndex();
  private final Map<Key, Endpoints> computed = new HashMap<>();

  /** A service was created or updated. */
  public List<EndpointsChange> onServiceUpsert(Service service) {
    String namespace = service.getMetadata().getNamespace();
    Optional<Service> previous = services.get(namespace, service.getMetadata().getName());
    services.put(service);
    if (previous.isPresent() && EndpointsBuilder.sameInputs(previous.get(), service)) {
      return List.of();
    }
    List<EndpointsChange> changes = new ArrayList<>(1);
    recompute(service, changes);
    return changes;
  }

  /** A service was deleted. */
  public List<EndpointsChange> onServiceDelete(String namespace, String name) {
    services.remove(namespace, name);
    if (computed.remove(new Key(namespace, name)) == null) {
      return List.of();
    }
    return List.of(new EndpointsChange(namespace, name, null));
  }

  /** A pod was created or updated; touches the services of its old and of its new labels. */
  public List<EndpointsChange> onPodUpsert(Pod pod) {
    Optional<Pod> previous = pods.put(pod);
    if (previous.isPresent() && sameInputs(previous.get(), pod)) {
      return List.of();
    }
    String namespace = pod.getMetadata().getNamespace();
    Map<String, Service> touched = new LinkedHashMap<>();
    previous.ifPresent(p -> addSelecting(namespace, p, touched));
    addSelecting(namespace, pod, touched);
    return recompute(touched.values());
  }

  /** A pod was deleted; touches the services that selected it. */
  public List<EndpointsChange> onPodDelete(String namespace, String name) {
    Optional<Pod> previous = pods.remove(namespace, name);
    if (previous.isEmpty()) {
      return List.of();
    }
    Map<String, Service> touched = new LinkedHashMap<>();
    addSelecting(namespace, previous.get(), touched);
    return recompute(touched.values());
  }

  /**
   * Replaces all state with a full listing (start-up, or a relist after the watch lost its place,
   * e.g. after etcd compaction) and reports how the endpoints differ from before, including
   * deletions. Loads everything before computing, so it costs O(services + pods) instead of the
   * O(pods × pods per service) of replaying the listing event by event.
   */
  public List<EndpointsChange> resync(Collection<Service> allServices, Collection<Pod> allPods) {
    Map<Key, Endpoints> before = new HashMap<>(computed);
    computed.clear();
    services.clear();
    pods.clear();
    for (Pod pod : allPods) {
      pods.put(pod);
    }
    services.putAll(allServices);
    List<EndpointsChange> changes = new ArrayList<>();
    for (Service service : services.all()) {
      Key key = keyOf(service);
      Optional<Endpoints> next = build(service);
      Endpoints previous = before.remove(key);
      if (next.isPresent()) {
        computed.put(key, next.get());
        if (!next.get().equals(previous)) {
          changes.add(new EndpointsChange(key.namespace(), key.name(), next.get()));
        }
      } else if (previous != null) {
        changes.add(new EndpointsChange(key.namespace(), key.name(), null));
      }
    }
    for (Key gone : before.keySet()) {
      changes.add(new EndpointsChange(gone.namespace(), gone.name(), null));
    }
    changes.sort(CHANGE_ORDER);
    return changes;
  }

  /** The last computed endpoints of a selector service, if it has any. */
  public Optional<Endpoints> get(String namespace, String service) {
    return Optional.ofNullable(computed.get(new Key(namespace, service)));
  }

  /** Every computed endpoints object, sorted by namespace then service name (a snapshot). */
  public List<Endpoints> all() {
    List<Key> keys = new ArrayList<>(computed.keySet());
    keys.sort(null);
    List<Endpoints> out = new ArrayList<>(keys.size());
    for (Key key : keys) {
      out.add(computed.get(key));
    }
    return out;
  }

  /** The number of services held (with or without a selector). */
  public int serviceCount() {
    return services.size();
  }

  /** The number of pods held. */
  public int podCount() {
    return pods.size();
  }

  private void addSelecting(String namespace, Pod pod, Map<String, Service> touched) {
    for (Service service :
        services.servicesSelecting(namespace, pod.getMetadata().getLabelsMap())) {
      touched.putIfAbsent(service.getMetadata().getName(), service);
    }
  }

  private List<EndpointsChange> recompute(Collection<Service> touched) {
    if (touched.isEmpty()) {
      return List.of();
    }
    List<EndpointsChange> changes = new ArrayList<>(touched.size());
    for (Service service : touched) {
      recompute(service, changes);
    }
    changes.sort(CHANGE_ORDER);
    return changes;
  }

  /** Recomputes one service and appends a change if its endpoints differ from the last. */
  private void recompute(Service service, List<EndpointsChange> changes) {
    Key key = keyOf(service);
    Optional<Endpoints> next = build(service);
    if (next.isEmpty()) {
      if (computed.remove(key) != null) {
        changes.add(new EndpointsChange(key.namespace(), key.name(), null));
      }
      return;
    }
    Endpoints previous = computed.put(key, next.get());
    if (!next.get().equals(previous)) {
      changes.add(new EndpointsChange(key.namespace(), key.name(), next.get()));
    }
  }

  private Optional<Endpoints> build(Service service) {
    return EndpointsBuilder.build(
        service,
        pods.candidates(service.getMetadata().getNamespace(), service.getSpec().getSelectorMap()));
  }

  private static Key keyOf(Service service) {
    return new Key(service.getMetadata().getNamespace(), service.getMetadata().getName());
  }

  /**
   * True when no service can see a difference between {@code a} and {@code b}: the builder reads
   * only labels, spec and status (a new resource version or annotation changes nothing).
   */
  private static boolean sameInputs(Pod a, Pod b) {
    return a.getStatus().equals(b.getStatus())
        && a.getSpec().equals(b.getSpec())
        && a.getMetadata().getLabelsMap().equals(b.getMetadata().getLabelsMap());
  }
}
