package dev.switchboard.controlplane.validation;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One refused field, as Kubernetes' {@code field.Error}: a path such as {@code
 * spec.ports[0].nodePort}, what is wrong with it, the offending value and why.
 *
 * <p>{@link #toString()} is Kubernetes' exact text, e.g. {@code spec.ports[0].nodePort: Invalid
 * value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767}.
 * Required, Forbidden, Too long and Internal errors do not print the value, as in Kubernetes.
 *
 * @param field the JSON path of the field, in Kubernetes' notation
 * @param type what kind of problem
 * @param value the offending value (Integer, String, List of String, or a value whose toString
 *     reads well); ignored by the types that do not print it
 * @param detail why, or "" for none
 */
public record FieldError(String field, Type type, Object value, String detail) {

  /** Kubernetes' {@code field.ErrorType}s, with the text they print and their API reason. */
  public enum Type {
    NOT_FOUND("Not found", "FieldValueNotFound"),
    REQUIRED("Required value", "FieldValueRequired"),
    DUPLICATE("Duplicate value", "FieldValueDuplicate"),
    INVALID("Invalid value", "FieldValueInvalid"),
    NOT_SUPPORTED("Unsupported value", "FieldValueNotSupported"),
    FORBIDDEN("Forbidden", "FieldValueForbidden"),
    TOO_LONG("Too long", "FieldValueTooLong"),
    TOO_MANY("Too many", "FieldValueTooMany"),
    INTERNAL("Internal error", "InternalError");

    private final String text;
    private final String reason;

    Type(String text, String reason) {
      this.text = text;
      this.reason = reason;
    }

    /** What the message says, e.g. "Invalid value". */
    public String text() {
      return text;
    }

    /** The machine-readable cause Kubernetes puts in a Status, e.g. "FieldValueInvalid". */
    public String reason() {
      return reason;
    }

    boolean printsValue() {
      return this != REQUIRED && this != FORBIDDEN && this != TOO_LONG && this != INTERNAL;
    }
  }

  public FieldError {
    if (field == null || type == null) {
      throw new IllegalArgumentException(
          "field, type: " + field + ", " + type + " (expected: both non-null)");
    }
    detail = detail == null ? "" : detail;
  }

  public static FieldError required(String field, String detail) {
    return new FieldError(field, Type.REQUIRED, "", detail);
  }

  public static FieldError invalid(String field, Object value, String detail) {
    return new FieldError(field, Type.INVALID, value, detail);
  }

  /** "Unsupported value" listing the supported values quoted, in the order given. */
  public static FieldError notSupported(String field, Object value, List<String> supported) {
    String detail =
        supported.isEmpty()
            ? ""
            : "supported values: "
                + supported.stream().map(GoFormat::quote).collect(Collectors.joining(", "));
    return new FieldError(field, Type.NOT_SUPPORTED, value, detail);
  }

  public static FieldError duplicate(String field, Object value) {
    return new FieldError(field, Type.DUPLICATE, value, "");
  }

  public static FieldError forbidden(String field, String detail) {
    return new FieldError(field, Type.FORBIDDEN, "", detail);
  }

  public static FieldError notFound(String field, Object value) {
    return new FieldError(field, Type.NOT_FOUND, value, "");
  }

  /** "Too long: must have at most N bytes" (the value is not printed). */
  public static FieldError tooLong(String field, int maxBytes) {
    return new FieldError(field, Type.TOO_LONG, "", "must have at most " + maxBytes + " bytes");
  }

  public static FieldError internal(String field, String detail) {
    return new FieldError(field, Type.INTERNAL, null, detail);
  }

  /** The message without the field, Kubernetes' {@code ErrorBody()}. */
  public String body() {
    String s = type.printsValue() ? type.text() + ": " + GoFormat.value(value) : type.text();
    return detail.isEmpty() ? s : s + ": " + detail;
  }

  @Override
  public String toString() {
    return field + ": " + body();
  }
}
