package dev.switchboard.sbctl.output;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** JSON with kubectl's four-space indent, for the same trees {@link YamlWriter} prints. */
public final class JsonWriter {
  private JsonWriter() {}

  public static String write(Object value) {
    StringBuilder b = new StringBuilder();
    value(b, value, 0);
    return b.append('\n').toString();
  }

  private static void value(StringBuilder b, Object v, int indent) {
    if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append("{}");
        return;
      }
      b.append("{\n");
      Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<?, ?> e = it.next();
        b.append(" ".repeat(indent + 4)).append(quote(String.valueOf(e.getKey()))).append(": ");
        value(b, e.getValue(), indent + 4);
        b.append(it.hasNext() ? ",\n" : "\n");
      }
      b.append(" ".repeat(indent)).append('}');
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        b.append("[]");
        return;
      }
      b.append("[\n");
      for (int i = 0; i < l.size(); i++) {
        b.append(" ".repeat(indent + 4));
        value(b, l.get(i), indent + 4);
        b.append(i < l.size() - 1 ? ",\n" : "\n");
      }
      b.append(" ".repeat(indent)).append(']');
    } else if (v instanceof String s) {
      b.append(quote(s));
    } else {
      b.append(v);
    }
  }

  /** A JSON string literal, which is also a valid double-quoted YAML scalar. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
