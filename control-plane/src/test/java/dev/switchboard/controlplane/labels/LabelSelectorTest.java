package dev.switchboard.controlplane.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> WEB =
      Map.of("app", "web", "tier", "front", "env", "prod", "replicas", "3");

  private static boolean matches(String selector, Map<String, String> labels) {
    return LabelSelector.parse(selector).matches(labels);
  }

  @Test
  void equalityAndInequality() {
    assertThat(matches("app=web", WEB)).isTrue();
    assertThat(matches("app==web", WEB)).isTrue();
    assertThat(matches("app=db", WEB)).isFalse();
    assertThat(matches("app!=db", WEB)).isTrue();
    assertThat(matches("app!=web", WEB)).isFalse();
  }

  @Test
  void negativeRequirementsMatchAbsentLabels() {
    assertThat(matches("team!=a", WEB)).isTrue();
    assertThat(matches("team notin (a)", WEB)).isTrue();
  }

  @Test
  void setRequirements() {
    assertThat(matches("env in (prod,staging)", WEB)).isTrue();
    assertThat(matches("env in (dev)", WEB)).isFalse();
    assertThat(matches("env notin (dev, staging)", WEB)).isTrue();
    assertThat(matches("env notin (prod)", WEB)).isFalse();
    assertThat(matches("team in (a)", WEB)).isFalse();
  }

  @Test
  void existence() {
    assertThat(matches("tier", WEB)).isTrue();
    assertThat(matches("!tier", WEB)).isFalse();
    assertThat(matches("!legacy", WEB)).isTrue();
    assertThat(matches("legacy", WEB)).isFalse();
  }

  @Test
  void integerComparisons() {
    assertThat(matches("replicas>2", WEB)).isTrue();
    assertThat(matches("replicas<3", WEB)).isFalse();
    assertThat(matches("app>1", WEB)).isFalse(); // not a number: no match
  }

  @Test
  void everyTermMustHold() {
    assertThat(matches("app=web,tier!=db,env in (prod,staging),team notin (z),tier,!legacy", WEB))
        .isTrue();
    assertThat(matches("app=web,!tier", WEB)).isFalse();
  }

  @Test
  void emptySelectsEverything() {
    assertThat(matches("", Map.of())).isTrue();
    assertThat(matches("  ", WEB)).isTrue();
    assertThat(LabelSelector.parse(null)).isSameAs(LabelSelector.EVERYTHING);
  }

  @Test
  void emptyValues() {
    assertThat(matches("a=", Map.of("a", ""))).isTrue();
    assertThat(matches("a in (,x)", Map.of("a", ""))).isTrue();
    assertThat(matches("a in ()", Map.of("a", ""))).isTrue();
  }

  @Test
  void canonicalFormOrdersByKeyAndSortsValues() {
    assertThat(LabelSelector.parse(" tier  !=  db , app=web,env in ( b , a ),!legacy,x"))
        .hasToString("app=web,env in (a,b),!legacy,tier!=db,x");
    assertThat(LabelSelector.parse("app=web,env in (a,b)"))
        .isEqualTo(LabelSelector.parse("env in (b,a), app=web"));
  }

  @Test
  void mapSelectorsNeedAllPairs() {
    assertThat(LabelSelector.matchesMap(Map.of("app", "web", "tier", "front"), WEB)).isTrue();
    assertThat(LabelSelector.matchesMap(Map.of("app", "web", "tier", "back"), WEB)).isFalse();
    assertThat(LabelSelector.matchesMap(Map.of(), WEB)).isTrue();
    assertThat(LabelSelector.fromMap(Map.of("tier", "front", "app", "web")))
        .hasToString("app=web,tier=front");
    assertThat(LabelSelector.fromMap(Map.of("app", "web")).matches(WEB)).isTrue();
  }

  @Test
  void missingOperatorIsExplained() {
    assertThatThrownBy(() -> LabelSelector.parse("app web"))
        .isInstanceOf(InvalidSelectorException.class)
        .hasMessage(
            "invalid label selector \"app web\": unable to parse requirement: "
                + "found 'web', expected: in, notin, =, ==, !=, >, <");
  }

  @Test
  void missingParenthesisIsExplained() {
    assertThatThrownBy(() -> LabelSelector.parse("env in prod"))
        .hasMessage(
            "invalid label selector \"env in prod\": unable to parse requirement: found 'prod', expected: '('");
    assertThatThrownBy(() -> LabelSelector.parse("env in (a b)"))
        .hasMessage(
            "invalid label selector \"env in (a b)\": unable to parse requirement: "
                + "found 'b', expected: ',' or ')'");
    assertThatThrownBy(() -> LabelSelector.parse("env in (a"))
        .hasMessage(
            "invalid label selector \"env in (a\": unable to parse requirement: "
                + "found '', expected: ',', ')' or identifier");
  }

  @Test
  void danglingCommaIsExplained() {
    assertThatThrownBy(() -> LabelSelector.parse("a=b,"))
        .hasMessage(
            "invalid label selector \"a=b,\": unable to parse requirement: "
                + "found '', expected: identifier after ','");
    assertThatThrownBy(() -> LabelSelector.parse(",a"))
        .hasMessage(
            "invalid label selector \",a\": unable to parse requirement: "
                + "found ',', expected: !, identifier, or 'end of string'");
  }

  @Test
  void trailingGarbageIsExplained() {
    assertThatThrownBy(() -> LabelSelector.parse("a=b c"))
        .hasMessage(
            "invalid label selector \"a=b c\": unable to parse requirement: "
                + "found 'c', expected: ',' or 'end of string'");
    assertThatThrownBy(() -> LabelSelector.parse("!a=b"))
        .hasMessage(
            "invalid label selector \"!a=b\": unable to parse requirement: "
                + "found '=', expected: ',' or 'end of string'");
  }

  @Test
  void invalidKeysAndValuesUseLabelRules() {
    InvalidSelectorException e =
        (InvalidSelectorException)
            org.assertj.core.api.Assertions.catchThrowable(() -> LabelSelector.parse("-app=web"));
    assertThat(e.reason())
        .startsWith(
            "unable to parse requirement: key: Invalid value: \"-app\": name part must consist");
    assertThat(e.selector()).isEqualTo("-app=web");
    assertThatThrownBy(() -> LabelSelector.parse("app=-web"))
        .hasMessageStartingWith(
            "invalid label selector \"app=-web\": unable to parse requirement: "
                + "values[0][app]: Invalid value: \"-web\": a valid label must be an empty string");
  }

  @Test
  void comparisonsNeedIntegers() {
    assertThatThrownBy(() -> LabelSelector.parse("replicas>three"))
        .hasMessage(
            "invalid label selector \"replicas>three\": unable to parse requirement: "
                + "for '>', '<' operators, the value must be an integer");
  }

  @Test
  void inAndNotinAreKeysWhereAKeyIsExpected() {
    assertThat(matches("in=x", Map.of("in", "x"))).isTrue();
    assertThat(matches("notin", Map.of("notin", ""))).isTrue();
  }
}
