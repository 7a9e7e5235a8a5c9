package dev.switchboard.controlplane.validation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NameRulesTest {
  private static final String QNAME_REGEX =
      "(e.g. 'MyName',  or 'my.name',  or '123-abc', "
          + "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

  @Test
  void dns1035LabelAsKubernetesWordsIt() {
    assertThat(NameRules.dns1035Label("web-1")).isEmpty();
    assertThat(NameRules.dns1035Label("1web"))
        .containsExactly(
            "a DNS-1035 label must consist of lower case "
                + "alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
                + "character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
    assertThat(NameRules.dns1035Label("a".repeat(64)))
        .containsExactly("must be no more than 63 characters");
  }

  @Test
  void dns1123LabelSaysDotsSeparately() {
    assertThat(NameRules.dns1123Label("123-abc")).isEmpty();
    assertThat(NameRules.dns1123Label("a.b")).containsExactly("must not contain dots");
    assertThat(NameRules.dns1123Label("A"))
        .containsExactly(
            "a lowercase RFC 1123 label must consist of lower case "
                + "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                + "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }

  @Test
  void dns1123Subdomain() {
    assertThat(NameRules.dns1123Subdomain("node-1.example.com")).isEmpty();
    assertThat(NameRules.dns1123Subdomain("-x"))
        .containsExactly(
            "a lowercase RFC 1123 subdomain must consist of "
                + "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
                + "(e.g. 'example.com', regex used for validation is "
                + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }

  @Test
  void qualifiedNames() {
    assertThat(NameRules.qualifiedName("app.kubernetes.io/name")).isEmpty();
    assertThat(NameRules.qualifiedName("My.Name_1")).isEmpty();
    assertThat(NameRules.qualifiedName("bad key"))
        .containsExactly(
            "name part must consist of alphanumeric "
                + "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                + QNAME_REGEX);
    assertThat(NameRules.qualifiedName("/x")).containsExactly("prefix part must be non-empty");
    assertThat(NameRules.qualifiedName("a/b/c"))
        .containsExactly(
            "a qualified name must consist of alphanumeric "
                + "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                + QNAME_REGEX
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    assertThat(NameRules.qualifiedName("x/"))
        .hasSize(2)
        .first()
        .isEqualTo("name part must be non-empty");
    assertThat(NameRules.qualifiedName("Example.com/x"))
        .first()
        .asString()
        .startsWith("prefix part a lowercase RFC 1123 subdomain");
  }

  @Test
  void labelValues() {
    assertThat(NameRules.labelValue("")).isEmpty();
    assertThat(NameRules.labelValue("v1.2_3-x")).isEmpty();
    assertThat(NameRules.labelValue("-bad"))
        .containsExactly(
            "a valid label must be an empty string or consist of "
                + "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                + "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                + "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    assertThat(NameRules.labelValue("a".repeat(64)))
        .containsExactly("must be no more than 63 characters");
  }

  @Test
  void ianaServiceNames() {
    assertThat(NameRules.portName("http-alt")).isEmpty();
    assertThat(NameRules.portName("a-very-long-port-name"))
        .containsExactly("must be no more than 15 characters");
    assertThat(NameRules.portName("HTTP"))
        .containsExactly(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "must contain at least one letter (a-z)");
    assertThat(NameRules.portName("8080"))
        .containsExactly("must contain at least one letter (a-z)");
    assertThat(NameRules.portName("a--b")).containsExactly("must not contain consecutive hyphens");
    assertThat(NameRules.portName("-ab")).containsExactly("must not begin or end with a hyphen");
  }

  @Test
  void portNumbers() {
    assertThat(NameRules.portNumber(1)).isEmpty();
    assertThat(NameRules.portNumber(65535)).isEmpty();
    assertThat(NameRules.portNumber(0)).containsExactly("must be between 1 and 65535, inclusive");
    assertThat(NameRules.portNumber(65536))
        .containsExactly("must be between 1 and 65535, inclusive");
  }
}
