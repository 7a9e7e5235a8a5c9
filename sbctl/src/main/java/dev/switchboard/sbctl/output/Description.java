package dev.switchboard.sbctl.output;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The layout of {@code describe}: "Key:" then the value, values aligned per indentation level
 * (kubectl aligns with a tab writer); multi-line values continue under the first.
 */
public final class Description {
  private record Line(int level, String key, List<String> values) {}

  private final List<Line> lines = new ArrayList<>();

  /** {@code Key: value}; an empty list prints {@code <none>}. */
  public Description add(int level, String key, List<String> values) {
    lines.add(new Line(level, key + ":", values.isEmpty() ? List.of("<none>") : values));
    return this;
  }

  public Description add(int level, String key, String value) {
    return add(level, key, List.of(value.isEmpty() ? "<none>" : value));
  }

  /** A line without value alignment, e.g. a section title or a sub-table row. */
  public Description text(int level, String text) {
    lines.add(new Line(level, text, null));
    return this;
  }

  /** {@code k=v} per line, keys sorted, as Labels and Annotations print. */
  public static List<String> pairs(Map<String, String> map) {
    List<String> out = new ArrayList<>();
    new TreeMap<>(map).forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }

  public String render() {
    Map<Integer, Integer> widths = new HashMap<>();
    for (Line l : lines) {
      if (l.values != null) {
        widths.merge(l.level, l.key.length(), Math::max);
      }
    }
    StringBuilder b = new StringBuilder();
    for (Line l : lines) {
      String indent = "  ".repeat(l.level);
      if (l.values == null) {
        b.append(indent).append(l.key).append('\n');
        continue;
      }
      int column = widths.get(l.level) + 2;
      for (int i = 0; i < l.values.size(); i++) {
        String key = i == 0 ? l.key : "";
        b.append(indent)
            .append(key)
            .append(" ".repeat(column - key.length()))
            .append(l.values.get(i))
            .append('\n');
      }
    }
    return b.toString();
  }
}
