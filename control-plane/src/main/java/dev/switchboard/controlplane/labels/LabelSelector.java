package dev.switchboard.controlplane.labels;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A Kubernetes label selector string: {@code a=b}, {@code a==b}, {@code a!=b},
 * {@code a in (x,y)}, {@code a notin (x)}, {@code a}, {@code !a}, joined by commas; all must
 * hold. The empty selector matches everything.
 */
public final class LabelSelector {
  private static final LabelSelector EVERYTHING = new LabelSelector("", List.of());

  private final String text;
  private final List<Predicate<Map<String, String>>> requirements;

  private LabelSelector(String text, List<Predicate<Map<String, String>>> requirements) {
    this.text = text;
    this.requirements = requirements;
  }

  /**
   * @throws IllegalArgumentException naming the selector and what is wrong with it
   */
  public static LabelSelector parse(String selector) {
    if (selector == null || selector.isBlank()) {
      return EVERYTHING;
    }
    List<Predicate<Map<String, String>>> reqs = new ArrayList<>();
    for (String term : splitTerms(selector)) {
      reqs.add(parseTerm(selector, term.trim()));
    }
    return new LabelSelector(selector, List.copyOf(reqs));
  }

  public boolean matches(Map<String, String> labels) {
    for (Predicate<Map<String, String>> r : requirements) {
      if (!r.test(labels)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return text;
  }

  /** Splits on commas outside parentheses. */
  private static List<String> splitTerms(String selector) {
    List<String> terms = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < selector.length(); i++) {
      char c = selector.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        terms.add(selector.substring(start, i));
        start = i + 1;
      }
    }
    terms.add(selector.substring(start));
    return terms;
  }

  private static Predicate<Map<String, String>> parseTerm(String selector, String term) {
    if (term.isEmpty()) {
      throw invalid(selector, "empty requirement");
    }
    String[] words = term.split("\\s+", 2);
    if (words.length == 2 && (words[1].startsWith("in ") || words[1].startsWith("in(")
        || words[1].startsWith("notin ") || words[1].startsWith("notin("))) {
      String key = key(selector, words[0]);
      boolean in = words[1].startsWith("in");
      String rest = words[1].substring(in ? 2 : 5).trim();
      if (!rest.startsWith("(") || !rest.endsWith(")")) {
        throw invalid(selector, "expected a parenthesised list of values after '" + words[0] + " "
            + (in ? "in" : "notin") + "'");
      }
      Set<String> values = Set.copyOf(List.of(rest.substring(1, rest.length() - 1).trim()
          .split("\\s*,\\s*")));
      return in
          ? labels -> labels.containsKey(key) && values.contains(labels.get(key))
          : labels -> !labels.containsKey(key) || !values.contains(labels.get(key));
    }
    int ne = term.indexOf("!=");
    if (ne > 0) {
      String key = key(selector, term.substring(0, ne));
      String value = term.substring(ne + 2).trim();
      return labels -> !value.equals(labels.get(key));
    }
    int eq = term.indexOf('=');
    if (eq > 0) {
      String key = key(selector, term.substring(0, eq));
      String value = term.substring(term.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      return labels -> value.equals(labels.get(key));
    }
    if (term.startsWith("!")) {
      String key = key(selector, term.substring(1));
      return labels -> !labels.containsKey(key);
    }
    String key = key(selector, term);
    return labels -> labels.containsKey(key);
  }

  private static String key(String selector, String raw) {
    String key = raw.trim();
    if (key.isEmpty() || !key.matches("([A-Za-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      throw invalid(selector, "'" + key + "' is not a valid label key");
    }
    return key;
  }

  private static IllegalArgumentException invalid(String selector, String why) {
    return new IllegalArgumentException("labelSelector: Invalid value: \"" + selector + "\": " + why);
  }
}
