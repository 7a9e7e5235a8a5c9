package dev.switchboard.k8s;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The objects one kustomization renders, with the few lookups the checks need. Objects are the
 * parsed YAML as maps and lists, so a test can break a copy and see the checks catch it.
 */
record Manifest(String name, List<Map<String, Object>> objects) {
  static final List<String> WORKLOAD_KINDS = List.of("Deployment", "DaemonSet", "StatefulSet");

  /** One container of a workload, with what its checks need to say where it is. */
  record Container(
      Manifest manifest,
      Map<String, Object> workload,
      Map<String, Object> podSpec,
      Map<String, Object> container) {
    String where() {
      return manifest.name()
          + ": "
          + workload.get("kind")
          + "/"
          + name(workload)
          + " container "
          + container.get("name");
    }

    String image() {
      return String.valueOf(container.get("image"));
    }
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  Map<String, Object> get(String kind, String name) {
    return ofKind(kind).stream()
        .filter(o -> name.equals(name(o)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(this.name + ": no " + kind + "/" + name));
  }

  List<Container> containers() {
    List<Container> out = new ArrayList<>();
    for (Map<String, Object> o : objects) {
      if (WORKLOAD_KINDS.contains(o.get("kind"))) {
        Map<String, Object> pod = map(o, "spec", "template", "spec");
        for (Map<String, Object> c : list(pod, "containers")) {
          out.add(new Container(this, o, pod, c));
        }
      }
    }
    return out;
  }

  Optional<String> configMapValue(String configMap, String key) {
    return ofKind("ConfigMap").stream()
        .filter(o -> configMap.equals(name(o)))
        .findFirst()
        .map(o -> map(o, "data").get(key))
        .map(String::valueOf);
  }

  /** A deep copy, to break in a test. */
  Manifest copy() {
    List<Map<String, Object>> copied = new ArrayList<>();
    objects.forEach(o -> copied.add(deepCopy(o)));
    return new Manifest(name, copied);
  }

  static String name(Map<String, Object> object) {
    return String.valueOf(map(object, "metadata").get("name"));
  }

  /** The map at {@code path}, or an empty map when a step is absent. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> from, String... path) {
    Object at = from;
    for (String step : path) {
      at = at instanceof Map<?, ?> m ? m.get(step) : null;
    }
    return at instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  /** The list of maps at {@code key}, or an empty list when absent. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Map<String, Object> from, String key) {
    Object at = from.get(key);
    return at instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
  }

  /** The list of strings at {@code key}, or an empty list when absent. */
  static List<String> strings(Map<String, Object> from, String key) {
    Object at = from.get(key);
    return at instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
  }

  @SuppressWarnings("unchecked")
  private static <T> T deepCopy(T value) {
    if (value instanceof Map<?, ?> m) {
      Map<Object, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(k, deepCopy(v)));
      return (T) copy;
    }
    if (value instanceof List<?> l) {
      List<Object> copy = new ArrayList<>();
      l.forEach(v -> copy.add(deepCopy(v)));
      return (T) copy;
    }
    return value;
  }
}
