package dev.switchboard.controlplane.labels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A parsed label selector: labels match when every requirement holds. The empty selector matches
 * everything, as in Kubernetes.
 *
 * <p>Note that a Service with an empty {@code spec.selector} is a selector-less service (its
 * endpoints are registered by hand), not one that selects every pod: callers check {@code
 * getSelectorCount() == 0} before matching pods against it.
 */
public final class LabelSelector {
  /** Matches every label set. */
  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    List<Requirement> sorted = new ArrayList<>(requirements);
    sorted.sort(Comparator.comparing(Requirement::key)); // Kubernetes orders terms by key
    this.requirements = List.copyOf(sorted);
  }

  /**
   * Parses Kubernetes selector syntax: {@code a=b,c!=d,e in (x,y),f notin (z),g,!h}, {@code a==b},
   * {@code n>3}. Null or blank selects everything.
   *
   * @throws InvalidSelectorException with what was found and what was expected
   */
  public static LabelSelector parse(String selector) {
    if (selector == null || selector.isBlank()) {
      return EVERYTHING;
    }
    try {
      return new LabelSelector(SelectorParser.parse(selector));
    } catch (IllegalArgumentException e) {
      throw new InvalidSelectorException(
          selector, "unable to parse requirement: " + e.getMessage());
    }
  }

  /**
   * The selector "all these pairs", as {@code service.spec.selector}; an empty map selects
   * everything.
   */
  public static LabelSelector fromMap(Map<String, String> pairs) {
    List<Requirement> requirements = new ArrayList<>();
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      requirements.add(Requirement.of(e.getKey(), Operator.EQUALS, List.of(e.getValue())));
    }
    return new LabelSelector(requirements);
  }

  /**
   * Whether {@code labels} contains every pair of {@code selector}: the fast path for a service's
   * map selector, without building a selector. True for an empty selector.
   */
  public static boolean matchesMap(Map<String, String> selector, Map<String, String> labels) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /** The requirements, ordered by key. */
  public List<Requirement> requirements() {
    return requirements;
  }

  public boolean isEmpty() {
    return requirements.isEmpty();
  }

  /** The canonical selector text: terms ordered by key, set values sorted. */
  @Override
  public String toString() {
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSelector other && other.requirements.equals(requirements);
  }

  @Override
  public int hashCode() {
    return requirements.hashCode();
  }
}
