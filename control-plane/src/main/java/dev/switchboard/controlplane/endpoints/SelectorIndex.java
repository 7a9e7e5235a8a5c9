package dev.switchboard.controlplane.endpoints;

import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Services by namespace, with an inverted index from selector pairs to services, so that a pod
 * change finds the services selecting it without scanning every service.
 *
 * <p>Each selector service is indexed under exactly <em>one</em> of its selector pairs: a service
 * can only select a pod that carries every one of its pairs, so whichever pair it is filed under,
 * the pod's labels reach it. Filing it under the pair whose bucket is smallest at insertion keeps
 * buckets small when many services share a pair ({@code env=prod}) and differ in another ({@code
 * app=...}), and means a lookup sees each candidate at most once. Candidates are then checked
 * against the full selector. A lookup costs O(labels + candidates).
 *
 * <p>Services without a selector are kept (so {@link #get} and {@link #services} see them) but
 * never selected. Not thread-safe: owned by one thread, like {@link EndpointsTracker}.
 */
public final class SelectorIndex {

  /** One service and the selector pair it is filed under (null for selector-less services). */
  private record Entry(Service service, LabelPair filedUnder) {}

  /** The services of one namespace. */
  private static final class Namespace {
    final Map<String, Entry> byName = new HashMap<>();
    final Map<LabelPair, Set<String>> byPair = new HashMap<>();
  }

  private final Map<String, Namespace> namespaces = new HashMap<>();
  private int size;

  /** Adds or replaces a service (keyed by metadata namespace and name). */
  public void put(Service service) {
    String namespaceName = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    remove(namespaceName, name);
    Namespace namespace = namespaces.computeIfAbsent(namespaceName, n -> new Namespace());
    LabelPair filedUnder = smallestBucket(namespace, service.getSpec().getSelectorMap());
    if (filedUnder != null) {
      namespace.byPair.computeIfAbsent(filedUnder, p -> new HashSet<>()).add(name);
    }
    namespace.byName.put(name, new Entry(service, filedUnder));
    size++;
  }

  /**
   * Removes a service.
   *
   * @return the removed service, if there was one
   */
  public Optional<Service> remove(String namespaceName, String name) {
    Namespace namespace = namespaces.get(namespaceName);
    if (namespace == null) {
      return Optional.empty();
    }
    Entry entry = namespace.byName.remove(name);
    if (entry == null) {
      return Optional.empty();
    }
    size--;
    if (entry.filedUnder() != null) {
      Set<String> bucket = namespace.byPair.get(entry.filedUnder());
      bucket.remove(name);
      if (bucket.isEmpty()) {
        namespace.byPair.remove(entry.filedUnder());
      }
    }
    if (namespace.byName.isEmpty()) {
      namespaces.remove(namespaceName);
    }
    return Optional.of(entry.service());
  }

  /** The service with this namespace and name, if any. */
  public Optional<Service> get(String namespaceName, String name) {
    Namespace namespace = namespaces.get(namespaceName);
    Entry entry = namespace == null ? null : namespace.byName.get(name);
    return entry == null ? Optional.empty() : Optional.of(entry.service());
  }

  /**
   * The services of {@code namespaceName} whose selector is non-empty and contained in {@code
   * labels}, in no particular order. For a pod whose labels changed, ask with the old and the new
   * labels: the services of both are touched.
   */
  public List<Service> servicesSelecting(String namespaceName, Map<String, String> labels) {
    Namespace namespace = namespaces.get(namespaceName);
    if (namespace == null || labels.isEmpty()) {
      return List.of();
    }
    List<Service> out = new ArrayList<>();
    for (Map.Entry<String, String> label : labels.entrySet()) {
      Set<String> bucket = namespace.byPair.get(new LabelPair(label.getKey(), label.getValue()));
      if (bucket == null) {
        continue;
      }
      for (String name : bucket) {
        Service service = namespace.byName.get(name).service();
        if (EndpointsBuilder.selects(service.getSpec().getSelectorMap(), labels)) {
          out.add(service);
        }
      }
    }
    return out;
  }

  /** Every service of one namespace, in no particular order. */
  public List<Service> services(String namespaceName) {
    Namespace namespace = namespaces.get(namespaceName);
    if (namespace == null) {
      return List.of();
    }
    List<Service> out = new ArrayList<>(namespace.byName.size());
    for (Entry entry : namespace.byName.values()) {
      out.add(entry.service());
    }
    return out;
  }

  /** Every service, in no particular order. */
  public List<Service> all() {
    List<Service> out = new ArrayList<>(size);
    for (Namespace namespace : namespaces.values()) {
      for (Entry entry : namespace.byName.values()) {
        out.add(entry.service());
      }
    }
    return out;
  }

  /** The number of services held. */
  public int size() {
    return size;
  }

  /** Removes every service. */
  public void clear() {
    namespaces.clear();
    size = 0;
  }

  /** Adds every service of {@code services}; later duplicates replace earlier ones. */
  public void putAll(Collection<Service> services) {
    for (Service service : services) {
      put(service);
    }
  }

  /**
   * The selector pair with the fewest services filed under it (ties broken by pair order, so that
   * the same insertions give the same index), or null for an empty selector.
   */
  private static LabelPair smallestBucket(Namespace namespace, Map<String, String> selector) {
    LabelPair best = null;
    int bestSize = Integer.MAX_VALUE;
    for (Map.Entry<String, String> pair : selector.entrySet()) {
      LabelPair candidate = new LabelPair(pair.getKey(), pair.getValue());
      Set<String> bucket = namespace.byPair.get(candidate);
      int bucketSize = bucket == null ? 0 : bucket.size();
      if (bucketSize < bestSize || (bucketSize == bestSize && candidate.compareTo(best) < 0)) {
        best = candidate;
        bestSize = bucketSize;
      }
    }
    return best;
  }
}
