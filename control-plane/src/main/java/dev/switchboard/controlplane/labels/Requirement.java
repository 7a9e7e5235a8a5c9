package dev.switchboard.controlplane.labels;

import dev.switchboard.controlplane.validation.NameRules;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One term of a selector, e.g. {@code env in (a,b)}. Built only through {@link #of}, which applies
 * Kubernetes' rules ({@code NewRequirement}): a qualified-name key, label values, and the number of
 * values each operator takes.
 */
public record Requirement(String key, Operator operator, SortedSet<String> values) {

  public Requirement {
    values = Collections.unmodifiableSortedSet(new TreeSet<>(values));
  }

  /**
   * A checked requirement; the message of the {@link IllegalArgumentException} says what is wrong.
   */
  public static Requirement of(String key, Operator operator, List<String> values) {
    List<String> keyErrors = NameRules.qualifiedName(key);
    if (!keyErrors.isEmpty()) {
      throw new IllegalArgumentException(
          "key: Invalid value: \"" + key + "\": " + keyErrors.get(0));
    }
    switch (operator) {
      case IN, NOT_IN -> {
        if (values.isEmpty()) {
          throw new IllegalArgumentException(
              "for 'in', 'notin' operators, values set can't be empty");
        }
      }
      case EQUALS, DOUBLE_EQUALS, NOT_EQUALS -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException("exact-match compatibility requires one single value");
        }
      }
      case EXISTS, DOES_NOT_EXIST -> {
        if (!values.isEmpty()) {
          throw new IllegalArgumentException(
              "values set must be empty for exists and does not exist");
        }
      }
      case GREATER_THAN, LESS_THAN -> {
        if (values.size() != 1) {
          throw new IllegalArgumentException(
              "for '>', '<' operators, exactly one value is required");
        }
        if (parseLong(values.get(0)) == null) {
          throw new IllegalArgumentException(
              "for '>', '<' operators, the value must be an integer");
        }
      }
    }
    for (int i = 0; i < values.size(); i++) {
      List<String> valueErrors = NameRules.labelValue(values.get(i));
      if (!valueErrors.isEmpty()) {
        throw new IllegalArgumentException(
            "values["
                + i
                + "]["
                + key
                + "]: Invalid value: \""
                + values.get(i)
                + "\": "
                + valueErrors.get(0));
      }
    }
    return new Requirement(key, operator, new TreeSet<>(values));
  }

  /**
   * Kubernetes' semantics: a negative requirement ({@code !=}, {@code notin}) also matches an
   * absent label.
   */
  public boolean matches(Map<String, String> labels) {
    String value = labels.get(key);
    return switch (operator) {
      case EQUALS, DOUBLE_EQUALS, IN -> value != null && values.contains(value);
      case NOT_EQUALS, NOT_IN -> value == null || !values.contains(value);
      case EXISTS -> value != null;
      case DOES_NOT_EXIST -> value == null;
      case GREATER_THAN, LESS_THAN -> {
        Long actual = value == null ? null : parseLong(value);
        long bound = parseLong(values.first());
        yield actual != null
            && (operator == Operator.GREATER_THAN ? actual > bound : actual < bound);
      }
    };
  }

  private static Long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The selector text of this term, values sorted. */
  @Override
  public String toString() {
    return switch (operator) {
      case EXISTS -> key;
      case DOES_NOT_EXIST -> "!" + key;
      case IN, NOT_IN -> key + " " + operator.symbol() + " (" + String.join(",", values) + ")";
      default -> key + operator.symbol() + values.first();
    };
  }
}
