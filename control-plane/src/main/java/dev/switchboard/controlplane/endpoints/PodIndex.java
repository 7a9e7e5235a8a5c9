package dev.switchboard.controlplane.endpoints;

import dev.switchboard.v1.Pod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pods by namespace and by (namespace, label pair), so that the pods a selector may match are found
 * from the selector's rarest pair instead of by scanning the namespace: recomputing a service then
 * costs O(pods carrying that pair), not O(all pods). Not thread-safe.
 */
final class PodIndex {

  /** The pods of one namespace. */
  private static final class Namespace {
    final Map<String, Pod> byName = new HashMap<>();
    final Map<LabelPair, Set<String>> byPair = new HashMap<>();
  }

  private final Map<String, Namespace> namespaces = new HashMap<>();
  private int size;

  /**
   * Adds or replaces a pod, re-indexing only the label pairs that changed.
   *
   * @return the pod it replaced, if any
   */
  Optional<Pod> put(Pod pod) {
    String name = pod.getMetadata().getName();
    Namespace namespace =
        namespaces.computeIfAbsent(pod.getMetadata().getNamespace(), n -> new Namespace());
    Pod previous = namespace.byName.put(name, pod);
    Map<String, String> newLabels = pod.getMetadata().getLabelsMap();
    if (previous == null) {
      size++;
      index(namespace, name, Map.of(), newLabels);
    } else {
      Map<String, String> oldLabels = previous.getMetadata().getLabelsMap();
      unindex(namespace, name, oldLabels, newLabels);
      index(namespace, name, oldLabels, newLabels);
    }
    return Optional.ofNullable(previous);
  }

  /**
   * Removes a pod.
   *
   * @return the removed pod, if there was one
   */
  Optional<Pod> remove(String namespaceName, String name) {
    Namespace namespace = namespaces.get(namespaceName);
    Pod previous = namespace == null ? null : namespace.byName.remove(name);
    if (previous == null) {
      return Optional.empty();
    }
    size--;
    unindex(namespace, name, previous.getMetadata().getLabelsMap(), Map.of());
    if (namespace.byName.isEmpty()) {
      namespaces.remove(namespaceName);
    }
    return Optional.of(previous);
  }

  /**
   * A superset of the pods of {@code namespaceName} that {@code selector} matches: those carrying
   * its rarest pair. Empty for an empty selector (it selects nothing).
   */
  List<Pod> candidates(String namespaceName, Map<String, String> selector) {
    Namespace namespace = namespaces.get(namespaceName);
    if (namespace == null || selector.isEmpty()) {
      return List.of();
    }
    Set<String> smallest = null;
    for (Map.Entry<String, String> pair : selector.entrySet()) {
      Set<String> bucket = namespace.byPair.get(new LabelPair(pair.getKey(), pair.getValue()));
      if (bucket == null) {
        return List.of();
      }
      if (smallest == null || bucket.size() < smallest.size()) {
        smallest = bucket;
      }
    }
    List<Pod> out = new ArrayList<>(smallest.size());
    for (String name : smallest) {
      out.add(namespace.byName.get(name));
    }
    return out;
  }

  int size() {
    return size;
  }

  void clear() {
    namespaces.clear();
    size = 0;
  }

  /** Files {@code name} under each pair of {@code labels} that {@code except} lacks. */
  private static void index(
      Namespace namespace, String name, Map<String, String> except, Map<String, String> labels) {
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!label.getValue().equals(except.get(label.getKey()))) {
        namespace
            .byPair
            .computeIfAbsent(new LabelPair(label.getKey(), label.getValue()), p -> new HashSet<>())
            .add(name);
      }
    }
  }

  /** Unfiles {@code name} from each pair of {@code labels} that {@code keep} lacks. */
  private static void unindex(
      Namespace namespace, String name, Map<String, String> labels, Map<String, String> keep) {
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (!label.getValue().equals(keep.get(label.getKey()))) {
        LabelPair pair = new LabelPair(label.getKey(), label.getValue());
        Set<String> bucket = namespace.byPair.get(pair);
        if (bucket != null) {
          bucket.remove(name);
          if (bucket.isEmpty()) {
            namespace.byPair.remove(pair);
          }
        }
      }
    }
  }
}
