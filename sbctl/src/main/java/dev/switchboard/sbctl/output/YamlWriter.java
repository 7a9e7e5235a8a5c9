package dev.switchboard.sbctl.output;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Block-style YAML in kubectl's layout (two-space indent, list dashes level with their key) for the
 * plain trees of maps, lists, strings, numbers and booleans that the manifest classes build.
 * Written by hand rather than with a YAML dumper so the layout and quoting are exactly kubectl's:
 * strings that YAML would read as something else are double-quoted.
 */
public final class YamlWriter {
  /** Safe to print unquoted: no indicator at the start, no ": " or " #", no spaces at the ends. */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./][A-Za-z0-9_./@+=-]*");

  /** What the YAML 1.2 core schema would not read back as a string. */
  private static final Pattern NOT_A_STRING =
      Pattern.compile(
          "null|Null|NULL|~|true|True|TRUE|false|False|FALSE"
              + "|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
              + "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
              + "|[-+]?\\.(inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN");

  private YamlWriter() {}

  public static String write(Map<String, Object> object) {
    StringBuilder b = new StringBuilder();
    mapping(b, object, 0);
    return b.toString();
  }

  private static void mapping(StringBuilder b, Map<?, ?> map, int indent) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      b.append(" ".repeat(indent)).append(scalar(String.valueOf(e.getKey()))).append(':');
      value(b, e.getValue(), indent, false);
    }
  }

  /** Writes what follows "key:" or "- ". */
  private static void value(StringBuilder b, Object v, int indent, boolean inList) {
    if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        b.append(" {}\n");
      } else if (inList) {
        // "- " then the first key on the same line, the rest aligned under it
        StringBuilder nested = new StringBuilder();
        mapping(nested, m, indent + 2);
        b.append(' ').append(nested.substring(indent + 2));
      } else {
        b.append('\n');
        mapping(b, m, indent + 2);
      }
    } else if (v instanceof List<?> l) {
      if (l.isEmpty()) {
        b.append(" []\n");
      } else {
        b.append('\n');
        for (Object item : l) {
          b.append(" ".repeat(indent)).append('-');
          value(b, item, indent, true);
        }
      }
    } else {
      b.append(' ').append(v instanceof String s ? scalar(s) : String.valueOf(v)).append('\n');
    }
  }

  static String scalar(String s) {
    if (PLAIN.matcher(s).matches() && !NOT_A_STRING.matcher(s).matches()) {
      return s;
    }
    return JsonWriter.quote(s);
  }
}
