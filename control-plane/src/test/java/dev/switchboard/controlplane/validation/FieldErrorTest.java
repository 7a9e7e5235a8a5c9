package dev.switchboard.controlplane.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FieldErrorTest {

  @Test
  void invalidNumberIsPrintedPlain() {
    assertThat(
            FieldError.invalid(
                "spec.ports[0].nodePort",
                29999,
                "provided port is not in the valid range. The range of valid ports is 30000-32767"))
        .hasToString(
            "spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. "
                + "The range of valid ports is 30000-32767");
  }

  @Test
  void invalidStringIsQuoted() {
    assertThat(FieldError.invalid("metadata.name", "Bad_Name", "bad"))
        .hasToString("metadata.name: Invalid value: \"Bad_Name\": bad");
  }

  @Test
  void requiredPrintsNoValue() {
    assertThat(FieldError.required("metadata.name", ""))
        .hasToString("metadata.name: Required value");
    assertThat(FieldError.required("x", "when session affinity type is ClientIP"))
        .hasToString("x: Required value: when session affinity type is ClientIP");
  }

  @Test
  void notSupportedListsQuotedValues() {
    assertThat(
            FieldError.notSupported(
                "spec.type", "Foo", List.of("ClusterIP", "LoadBalancer", "NodePort")))
        .hasToString(
            "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  }

  @Test
  void duplicateAndForbidden() {
    assertThat(FieldError.duplicate("spec.ports[1].name", "http"))
        .hasToString("spec.ports[1].name: Duplicate value: \"http\"");
    assertThat(
            FieldError.forbidden(
                "spec.ports[0].nodePort", "may not be used when `type` is 'ClusterIP'"))
        .hasToString(
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  }

  @Test
  void tooLongPrintsNoValue() {
    assertThat(FieldError.tooLong("metadata.annotations", 262144))
        .hasToString("metadata.annotations: Too long: must have at most 262144 bytes");
  }

  @Test
  void stringsAreQuotedAsGoQuotesThem() {
    assertThat(GoFormat.quote("a\"b\\c\n\t\u0001é")).isEqualTo("\"a\\\"b\\\\c\\n\\t\\x01é\"");
    assertThat(GoFormat.quote("\u200b")).isEqualTo("\"\\u200b\"");
    assertThat(GoFormat.value(List.of("a", "b"))).isEqualTo("[]string{\"a\", \"b\"}");
    assertThat(GoFormat.value(null)).isEqualTo("null");
    assertThat(GoFormat.value(true)).isEqualTo("true");
  }

  @Test
  void exceptionMessageForOneErrorHasNoBrackets() {
    ValidationException e =
        new ValidationException("Service", "web", List.of(FieldError.required("spec.ports", "")));
    assertThat(e).hasMessage("Service \"web\" is invalid: spec.ports: Required value");
    assertThat(e.errors()).hasSize(1);
  }

  @Test
  void exceptionMessageForSeveralErrorsIsBracketedAndDeduplicated() {
    ValidationException e =
        new ValidationException(
            "Service",
            "web",
            List.of(
                FieldError.required("spec.ports", ""),
                FieldError.notSupported("spec.type", "Foo", List.of("ClusterIP")),
                FieldError.required("spec.ports", "")));
    assertThat(e)
        .hasMessage(
            "Service \"web\" is invalid: [spec.ports: Required value, "
                + "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\"]");
    assertThat(e.kind()).isEqualTo("Service");
    assertThat(e.name()).isEqualTo("web");
  }

  @Test
  void exceptionNeedsErrors() {
    assertThatThrownBy(() -> new ValidationException("Service", "web", List.of()))
        .hasMessage("errors: [] (expected: at least one)");
    ValidationException.throwIfAny("Service", "web", List.of());
  }
}
