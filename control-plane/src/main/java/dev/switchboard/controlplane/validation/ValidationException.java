package dev.switchboard.controlplane.validation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A refused object, with every problem found in it at once. The message is Kubernetes' {@code
 * NewInvalid}: {@code Service "web" is invalid: spec.type: Unsupported value: ...} for one error,
 * {@code Service "web" is invalid: [err1, err2]} for several (identical messages once). The Admin
 * API maps it to INVALID_ARGUMENT with that message.
 */
public final class ValidationException extends RuntimeException {
  private final String kind;
  private final String name;
  private final transient List<FieldError> errors;

  public ValidationException(String kind, String name, List<FieldError> errors) {
    super(message(kind, name, errors));
    this.kind = kind;
    this.name = name;
    this.errors = List.copyOf(errors);
  }

  /** Throws when {@code errors} is not empty; does nothing otherwise. */
  public static void throwIfAny(String kind, String name, List<FieldError> errors) {
    if (!errors.isEmpty()) {
      throw new ValidationException(kind, name, errors);
    }
  }

  private static String message(String kind, String name, List<FieldError> errors) {
    if (errors == null || errors.isEmpty()) {
      throw new IllegalArgumentException("errors: " + errors + " (expected: at least one)");
    }
    Set<String> messages = new LinkedHashSet<>();
    for (FieldError e : errors) {
      messages.add(e.toString());
    }
    String aggregate =
        messages.size() == 1
            ? messages.iterator().next()
            : "[" + String.join(", ", new ArrayList<>(messages)) + "]";
    return kind + " " + GoFormat.quote(name) + " is invalid: " + aggregate;
  }

  /** "Service", "Pod" or "Endpoints". */
  public String kind() {
    return kind;
  }

  /** The object's name as given (possibly empty or invalid itself). */
  public String name() {
    return name;
  }

  /** Every problem, in the order found. */
  public List<FieldError> errors() {
    return errors;
  }
}
