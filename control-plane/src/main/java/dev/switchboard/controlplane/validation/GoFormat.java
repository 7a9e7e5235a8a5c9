package dev.switchboard.controlplane.validation;

import java.util.List;

/**
 * Prints values as Kubernetes' error messages do, which are Go's {@code fmt}: strings as {@code %q}
 * (double-quoted, escaped), numbers and booleans plain, string lists as {@code []string{"a", "b"}},
 * anything else by its {@code toString} (Go's Stringer).
 */
final class GoFormat {
  private GoFormat() {}

  static String value(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof CharSequence s) {
      return quote(s.toString());
    }
    if (value instanceof List<?> list && list.stream().allMatch(e -> e instanceof CharSequence)) {
      StringBuilder b = new StringBuilder("[]string{");
      for (int i = 0; i < list.size(); i++) {
        b.append(i == 0 ? "" : ", ").append(quote(list.get(i).toString()));
      }
      return b.append('}').toString();
    }
    return value.toString();
  }

  /** Go's {@code strconv.Quote}: printable characters as they are, the rest escaped. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    s.codePoints()
        .forEach(
            cp -> {
              switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case 0x07 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 0x0b -> b.append("\\v");
                default -> {
                  if (cp < 0x20 || cp == 0x7f) {
                    b.append(String.format("\\x%02x", cp));
                  } else if (cp < 0x80 || isPrintable(cp)) {
                    b.appendCodePoint(cp);
                  } else if (cp < 0x10000) {
                    b.append(String.format("\\u%04x", cp));
                  } else {
                    b.append(String.format("\\U%08x", cp));
                  }
                }
              }
            });
    return b.append('"').toString();
  }

  private static boolean isPrintable(int cp) {
    switch (Character.getType(cp)) {
      case Character.CONTROL,
      Character.FORMAT,
      Character.SURROGATE,
      Character.PRIVATE_USE,
      Character.UNASSIGNED,
      Character.LINE_SEPARATOR,
      Character.PARAGRAPH_SEPARATOR,
      Character.SPACE_SEPARATOR:
        return false;
      default:
        return true;
    }
  }
}
