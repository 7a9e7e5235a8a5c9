package dev.switchboard.sbctl.manifest;

import dev.switchboard.v1.ObjectMeta;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code metadata} of every kind, both ways: what is kept, what is dropped, what is refused. */
public final class Metadata {
  /**
   * Written by a Kubernetes API server and harmless in a manifest: ignored on apply. {@code
   * deletionTimestamp} is ignored too except on Pods, where it means terminating.
   */
  public static final List<String> IGNORED =
      List.of(
          "uid",
          "creationTimestamp",
          "generation",
          "managedFields",
          "selfLink",
          "finalizers",
          "ownerReferences",
          "deletionGracePeriodSeconds");

  private Metadata() {}

  /** Reads {@code metadata} (name required); {@code deletionTimestamp} is left to the caller. */
  static ObjectMeta.Builder read(Fields meta) {
    ObjectMeta.Builder b = ObjectMeta.newBuilder();
    String name = meta.string("name");
    if (name == null || name.isEmpty()) {
      if (!meta.problems().stream().anyMatch(p -> p.startsWith(meta.child("name")))) {
        meta.problems().add(meta.child("name") + ": required");
      }
    } else {
      b.setName(name);
    }
    String namespace = meta.string("namespace");
    if (namespace != null) {
      b.setNamespace(namespace);
    }
    b.putAllLabels(meta.stringMap("labels"));
    b.putAllAnnotations(meta.stringMap("annotations"));
    Object rv = meta.value("resourceVersion");
    if (rv instanceof String s && s.matches("\\d{1,18}")) {
      b.setResourceVersion(Long.parseLong(s));
    } else if (rv instanceof Integer || rv instanceof Long) {
      b.setResourceVersion(((Number) rv).longValue());
    } else if (rv != null && !"".equals(rv)) {
      meta.problems()
          .add(
              meta.child("resourceVersion")
                  + ": invalid value "
                  + Fields.describe(rv)
                  + ": must be the number sbctl get printed");
    }
    meta.unsupported("generateName", "give metadata.name");
    meta.ignore(IGNORED.toArray(String[]::new));
    return b;
  }

  /** Name of a document for error messages, before it is validated; null when it has none. */
  static String peekName(Object document) {
    if (document instanceof Map<?, ?> m
        && m.get("metadata") instanceof Map<?, ?> meta
        && meta.get("name") instanceof String s) {
      return s;
    }
    return null;
  }

  /** {@code metadata} as Kubernetes prints it: keys sorted, resourceVersion a string. */
  public static Map<String, Object> write(ObjectMeta meta) {
    Map<String, Object> m = new TreeMap<>();
    m.put("name", meta.getName());
    if (!meta.getNamespace().isEmpty()) {
      m.put("namespace", meta.getNamespace());
    }
    if (!meta.getUid().isEmpty()) {
      m.put("uid", meta.getUid());
    }
    if (meta.getResourceVersion() != 0) {
      m.put("resourceVersion", Long.toString(meta.getResourceVersion()));
    }
    if (meta.getCreationTimestampMillis() != 0) {
      m.put("creationTimestamp", timestamp(meta.getCreationTimestampMillis()));
    }
    if (meta.getLabelsCount() > 0) {
      m.put("labels", new TreeMap<>(meta.getLabelsMap()));
    }
    if (meta.getAnnotationsCount() > 0) {
      m.put("annotations", new TreeMap<>(meta.getAnnotationsMap()));
    }
    return m;
  }

  /** RFC 3339 in UTC to the second, as Kubernetes' metav1.Time. */
  public static String timestamp(long millis) {
    return Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A Kubernetes object's top level, keys in kubectl's (alphabetical) order. */
  static Map<String, Object> object(String apiVersion, String kind, Map<String, Object> metadata) {
    Map<String, Object> m = new TreeMap<>();
    m.put("apiVersion", apiVersion);
    m.put("kind", kind);
    m.put("metadata", metadata);
    return m;
  }
}
