package dev.switchboard.controlplane.validation;

import dev.switchboard.v1.ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Kubernetes' {@code ValidateObjectMeta}, {@code ValidateLabels} and {@code ValidateAnnotations},
 * shared by every object. Map entries are checked in key order so messages are stable.
 */
public final class MetaRules {
  /** Kubernetes' limit on the total size of an object's annotations (keys and values). */
  public static final int TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

  private MetaRules() {}

  /**
   * Name (required, then {@code nameRule}), namespace (required, RFC 1123 label), labels and
   * annotations, under {@code metadata}.
   */
  public static List<FieldError> objectMeta(
      ObjectMeta meta, Function<String, List<String>> nameRule) {
    List<FieldError> errs = new ArrayList<>();
    if (meta.getName().isEmpty()) {
      errs.add(FieldError.required("metadata.name", ""));
    } else {
      for (String msg : nameRule.apply(meta.getName())) {
        errs.add(FieldError.invalid("metadata.name", meta.getName(), msg));
      }
    }
    if (meta.getNamespace().isEmpty()) {
      errs.add(FieldError.required("metadata.namespace", ""));
    } else {
      for (String msg : NameRules.dns1123Label(meta.getNamespace())) {
        errs.add(FieldError.invalid("metadata.namespace", meta.getNamespace(), msg));
      }
    }
    errs.addAll(labels(meta.getLabelsMap(), "metadata.labels"));
    errs.addAll(annotations(meta.getAnnotationsMap(), "metadata.annotations"));
    return errs;
  }

  /**
   * Keys are qualified names, values label values; errors name {@code path} itself, as Kubernetes
   * does.
   */
  public static List<FieldError> labels(Map<String, String> labels, String path) {
    List<FieldError> errs = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      for (String msg : NameRules.qualifiedName(e.getKey())) {
        errs.add(FieldError.invalid(path, e.getKey(), msg));
      }
      for (String msg : NameRules.labelValue(e.getValue())) {
        errs.add(FieldError.invalid(path, e.getValue(), msg));
      }
    }
    return errs;
  }

  /** Keys are qualified names in any case; all keys and values together at most 256 KiB. */
  public static List<FieldError> annotations(Map<String, String> annotations, String path) {
    List<FieldError> errs = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, String> e : new TreeMap<>(annotations).entrySet()) {
      for (String msg : NameRules.qualifiedName(e.getKey().toLowerCase(Locale.ROOT))) {
        errs.add(FieldError.invalid(path, e.getKey(), msg));
      }
      total +=
          e.getKey().getBytes(StandardCharsets.UTF_8).length
              + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
      errs.add(FieldError.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
    return errs;
  }

  /** Kubernetes' {@code ValidateImmutableField}: "Invalid value: NEW: field is immutable". */
  public static List<FieldError> immutable(String path, Object newValue, Object oldValue) {
    return newValue.equals(oldValue)
        ? List.of()
        : List.of(FieldError.invalid(path, newValue, "field is immutable"));
  }
}
