package dev.switchboard.sbctl.manifest;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One YAML mapping, read field by field with its path. Every accessor declares the field as known,
 * so that {@link #finish()} can call whatever was neither read nor ignored an unknown field: a typo
 * such as {@code nodeport} must fail loudly instead of silently allocating a random NodePort.
 * Problems are collected, not thrown, so one run reports them all.
 */
public final class Fields {
  private final Map<?, ?> map;
  private final String path;
  private final List<String> problems;
  private final Set<String> known = new LinkedHashSet<>();
  private final boolean present;

  private Fields(Map<?, ?> map, String path, List<String> problems, boolean present) {
    this.map = map;
    this.path = path;
    this.problems = problems;
    this.present = present;
  }

  /** The mapping at {@code path}; a problem (and an empty mapping) when the value is not one. */
  public static Fields of(Object value, String path, List<String> problems) {
    if (value == null) {
      return new Fields(Map.of(), path, problems, false);
    }
    if (value instanceof Map<?, ?> m) {
      return new Fields(m, path, problems, true);
    }
    problems.add(typeError(path, "a mapping", value));
    return new Fields(Map.of(), path, problems, false);
  }

  /** Whether the mapping was there at all (absent and null read as empty). */
  public boolean present() {
    return present;
  }

  public boolean has(String key) {
    known.add(key);
    return map.get(key) != null;
  }

  public String path() {
    return path;
  }

  public List<String> problems() {
    return problems;
  }

  /** A string field, or null when absent. */
  public String string(String key) {
    Object v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof String s) {
      return s;
    }
    problems.add(typeError(child(key), "a string", v) + quoteHint(v));
    return null;
  }

  /** An int32 field, or null when absent or of the wrong type. */
  public Integer int32(String key) {
    return int32Value(value(key), child(key), problems);
  }

  static Integer int32Value(Object v, String path, List<String> problems) {
    if (v == null) {
      return null;
    }
    if (v instanceof Integer i) {
      return i;
    }
    if (v instanceof Long || v instanceof BigInteger) {
      problems.add(path + ": invalid value " + v + ": out of range for a 32-bit integer");
      return null;
    }
    problems.add(typeError(path, "an integer", v));
    return null;
  }

  /** A boolean field, or null when absent or of the wrong type. */
  public Boolean bool(String key) {
    Object v = value(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    problems.add(typeError(child(key), "a boolean (true or false)", v));
    return null;
  }

  /** A nested mapping; an empty, not {@link #present()} one when absent. */
  public Fields object(String key) {
    return Fields.of(value(key), child(key), problems);
  }

  /** A list of mappings; empty when absent. */
  public List<Fields> objects(String key) {
    List<Fields> result = new ArrayList<>();
    List<?> list = list(key);
    for (int i = 0; i < list.size(); i++) {
      result.add(Fields.of(list.get(i), child(key) + "[" + i + "]", problems));
    }
    return result;
  }

  /** A list of strings; empty when absent. */
  public List<String> strings(String key) {
    List<String> result = new ArrayList<>();
    List<?> list = list(key);
    for (int i = 0; i < list.size(); i++) {
      Object v = list.get(i);
      if (v instanceof String s) {
        result.add(s);
      } else {
        problems.add(typeError(child(key) + "[" + i + "]", "a string", v) + quoteHint(v));
      }
    }
    return result;
  }

  /** A mapping of strings to strings (labels, annotations, selector); empty when absent. */
  public Map<String, String> stringMap(String key) {
    Map<String, String> result = new LinkedHashMap<>();
    Object v = value(key);
    if (v == null) {
      return result;
    }
    if (!(v instanceof Map<?, ?> m)) {
      problems.add(typeError(child(key), "a mapping of strings", v));
      return result;
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String entryPath = child(key) + "[" + e.getKey() + "]";
      if (!(e.getKey() instanceof String k)) {
        problems.add(
            entryPath
                + ": keys must be strings, got "
                + describe(e.getKey())
                + quoteHint(e.getKey()));
      } else if (!(e.getValue() instanceof String s)) {
        problems.add(typeError(entryPath, "a string", e.getValue()) + quoteHint(e.getValue()));
      } else {
        result.put(k, s);
      }
    }
    return result;
  }

  /** The raw value (for IntOrString and the like), marking the field known. */
  public Object value(String key) {
    known.add(key);
    return map.get(key);
  }

  /** Fields Kubernetes has that sbctl accepts and drops (see README: ignored fields). */
  public void ignore(String... keys) {
    known.addAll(List.of(keys));
  }

  /** A Kubernetes field that would change behaviour if honoured, so it is refused when set. */
  public void unsupported(String key, String why) {
    known.add(key);
    if (map.get(key) != null) {
      problems.add(child(key) + ": not supported by Switchboard: " + why);
    }
  }

  /** Reports every key that was neither read nor ignored, with a suggestion for near misses. */
  public void finish() {
    for (Object key : map.keySet()) {
      String k = String.valueOf(key);
      if (!known.contains(k)) {
        String suggestion = Suggestions.closest(k, known);
        problems.add(
            child(k)
                + ": unknown field"
                + (suggestion == null ? "" : " (did you mean " + suggestion + "?)"));
      }
    }
  }

  public String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private List<?> list(String key) {
    Object v = value(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    problems.add(typeError(child(key), "a list", v));
    return List.of();
  }

  static String typeError(String path, String expected, Object actual) {
    return path + ": invalid type: expected " + expected + ", got " + describe(actual);
  }

  static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String s) {
      return "string \"" + s + "\"";
    }
    if (v instanceof Boolean b) {
      return "boolean " + b;
    }
    if (v instanceof Number n) {
      return (n instanceof Integer || n instanceof Long || n instanceof BigInteger
              ? "integer "
              : "number ")
          + n;
    }
    if (v instanceof Map<?, ?>) {
      return "a mapping";
    }
    if (v instanceof List<?>) {
      return "a list";
    }
    return v.getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }

  /** Labels like {@code enabled: true} are booleans in YAML: say how to make them strings. */
  private static String quoteHint(Object v) {
    return v instanceof Boolean || v instanceof Number ? " (quote it: \"" + v + "\")" : "";
  }
}
