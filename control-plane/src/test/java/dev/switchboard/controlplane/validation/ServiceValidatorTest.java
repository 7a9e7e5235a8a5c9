package dev.switchboard.controlplane.validation;

import static dev.switchboard.controlplane.validation.ServiceFixtures.errors;
import static dev.switchboard.controlplane.validation.ServiceFixtures.port;
import static dev.switchboard.controlplane.validation.ServiceFixtures.web;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Service;
import org.junit.jupiter.api.Test;

/** Metadata, type and port rules: one test per rule, asserting Kubernetes' message. */
class ServiceValidatorTest {
  private static final String DNS1035 =
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
          + "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
          + "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  private static final String QNAME_NAME_PART =
      "name part must consist of alphanumeric characters, '-', '_' or '.', "
          + "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
          + "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

  @Test
  void validServiceHasNoErrors() {
    assertThat(errors(web())).isEmpty();
  }

  @Test
  void nameIsRequired() {
    Service.Builder s = web();
    s.getMetadataBuilder().setName("");
    assertThat(errors(s)).containsExactly("metadata.name: Required value");
  }

  @Test
  void nameIsADns1035Label() {
    Service.Builder s = web();
    s.getMetadataBuilder().setName("Bad_Name");
    assertThat(errors(s)).containsExactly("metadata.name: Invalid value: \"Bad_Name\": " + DNS1035);
  }

  @Test
  void nameMustStartWithALetter() {
    Service.Builder s = web();
    s.getMetadataBuilder().setName("1web");
    assertThat(errors(s)).containsExactly("metadata.name: Invalid value: \"1web\": " + DNS1035);
  }

  @Test
  void nameIsAtMost63Characters() {
    Service.Builder s = web();
    s.getMetadataBuilder().setName("a".repeat(64));
    assertThat(errors(s))
        .containsExactly(
            "metadata.name: Invalid value: \""
                + "a".repeat(64)
                + "\": must be no more than 63 characters");
  }

  @Test
  void namespaceIsADns1123Label() {
    Service.Builder s = web();
    s.getMetadataBuilder().setNamespace("team.a");
    assertThat(errors(s))
        .containsExactly("metadata.namespace: Invalid value: \"team.a\": must not contain dots");
  }

  @Test
  void namespaceDefaultsToDefault() {
    Service.Builder s = web();
    s.getMetadataBuilder().setNamespace("");
    assertThat(errors(s)).isEmpty();
    assertThat(ServiceDefaults.apply(s.build()).getMetadata().getNamespace()).isEqualTo("default");
  }

  @Test
  void labelKeysAreQualifiedNames() {
    Service.Builder s = web();
    s.getMetadataBuilder().putLabels("bad key", "x");
    assertThat(errors(s))
        .containsExactly("metadata.labels: Invalid value: \"bad key\": " + QNAME_NAME_PART);
  }

  @Test
  void labelValuesAreAtMost63Characters() {
    Service.Builder s = web();
    s.getMetadataBuilder().putLabels("tier", "x".repeat(64));
    assertThat(errors(s))
        .containsExactly(
            "metadata.labels: Invalid value: \""
                + "x".repeat(64)
                + "\": must be no more than 63 characters");
  }

  @Test
  void annotationKeysAreQualifiedNamesInAnyCase() {
    Service.Builder s = web();
    s.getMetadataBuilder().putAnnotations("Example.COM/Owner", "me").putAnnotations("a/b/c", "x");
    assertThat(errors(s))
        .containsExactly(
            "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must "
                + "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                + "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
                + "(e.g. 'example.com/MyName')");
  }

  @Test
  void annotationsAreAtMost256KiBInTotal() {
    Service.Builder s = web();
    s.getMetadataBuilder().putAnnotations("big", "x".repeat(256 * 1024));
    assertThat(errors(s))
        .containsExactly("metadata.annotations: Too long: must have at most 262144 bytes");
  }

  @Test
  void selectorKeysAndValuesAreLabels() {
    Service.Builder s = web();
    s.getSpecBuilder().putSelector("app", "-web");
    assertThat(errors(s))
        .containsExactly(
            "spec.selector: Invalid value: \"-web\": a valid label must be an empty "
                + "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                + "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                + "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }

  @Test
  void typeMustBeSupported() {
    Service.Builder s = web();
    s.getSpecBuilder().setType("Foo");
    assertThat(errors(s))
        .containsExactly(
            "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  }

  @Test
  void externalNameIsNotServed() {
    Service.Builder s = web();
    s.getSpecBuilder().setType("ExternalName");
    assertThat(errors(s))
        .containsExactly(
            "spec.type: Unsupported value: \"ExternalName\": supported values: "
                + "\"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  }

  @Test
  void portsAreRequired() {
    Service.Builder s = web();
    s.getSpecBuilder().clearPorts();
    assertThat(errors(s)).containsExactly("spec.ports: Required value");
  }

  @Test
  void headlessServicesMayHaveNoPorts() {
    Service.Builder s = web();
    s.getSpecBuilder().clearPorts().setClusterIp("None");
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void portIsBetween1And65535() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .setPorts(0, port("http", 70000).setTargetPort(IntOrString.newBuilder().setIntValue(8080)));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive");
  }

  @Test
  void protocolIsTcpOrUdp() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("http", 80).setProtocol("SCTP"));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].protocol: Unsupported value: \"SCTP\": supported values: \"TCP\", \"UDP\"");
  }

  @Test
  void protocolDefaultsToTcp() {
    assertThat(ServiceDefaults.apply(web().build()).getSpec().getPorts(0).getProtocol())
        .isEqualTo("TCP");
  }

  @Test
  void portNamesAreDns1123Labels() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("HTTP", 80));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].name: Invalid value: \"HTTP\": a lowercase RFC 1123 label "
                + "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
                + "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }

  @Test
  void portNamesAreRequiredWhenThereAreSeveralPorts() {
    Service.Builder s = web();
    s.getSpecBuilder().addPorts(port("", 443));
    assertThat(errors(s)).containsExactly("spec.ports[1].name: Required value");
  }

  @Test
  void aSinglePortNeedsNoName() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("", 80));
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void portNamesAreUnique() {
    Service.Builder s = web();
    s.getSpecBuilder().addPorts(port("http", 8080));
    assertThat(errors(s)).containsExactly("spec.ports[1].name: Duplicate value: \"http\"");
  }

  @Test
  void portAndProtocolPairsAreUnique() {
    Service.Builder s = web();
    s.getSpecBuilder().addPorts(port("http2", 80));
    assertThat(errors(s)).containsExactly("spec.ports[1]: Duplicate value: 80/TCP");
  }

  @Test
  void theSamePortMayServeTcpAndUdp() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .clearPorts()
        .addPorts(port("dns", 53).setProtocol("UDP"))
        .addPorts(port("dns-tcp", 53));
    assertThat(errors(s)).isEmpty();
  }

  @Test
  void targetPortNumberIsBetween1And65535() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .setPorts(0, port("http", 80).setTargetPort(IntOrString.newBuilder().setIntValue(-1)));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].targetPort: Invalid value: -1: must be between 1 and 65535, inclusive");
  }

  @Test
  void targetPortNameIsAnIanaServiceName() {
    Service.Builder s = web();
    s.getSpecBuilder()
        .setPorts(
            0, port("http", 80).setTargetPort(IntOrString.newBuilder().setStrValue("web--http")));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].targetPort: Invalid value: \"web--http\": must not contain consecutive hyphens");
  }

  @Test
  void targetPortDefaultsToPort() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("http", 80).clearTargetPort());
    assertThat(ServiceDefaults.apply(s.build()).getSpec().getPorts(0).getTargetPort().getIntValue())
        .isEqualTo(80);
  }

  @Test
  void appProtocolIsAQualifiedName() {
    Service.Builder s = web();
    s.getSpecBuilder().setPorts(0, port("http", 80).setAppProtocol("http 1.1"));
    assertThat(errors(s))
        .containsExactly(
            "spec.ports[0].appProtocol: Invalid value: \"http 1.1\": " + QNAME_NAME_PART);
    for (String h2 : new String[] {"kubernetes.io/h2c", "h2c", "grpc"}) { // served as HTTP/2
      s.getSpecBuilder().setPorts(0, port("http", 80).setAppProtocol(h2));
      assertThat(errors(s)).isEmpty();
    }
  }

  @Test
  void allErrorsAreReportedAtOnce() {
    Service.Builder s = web();
    s.getMetadataBuilder().setName("");
    s.getSpecBuilder().setType("Foo").setPorts(0, port("http", 0));
    assertThat(errors(s))
        .containsExactly(
            "metadata.name: Required value",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  }

  @Test
  void requireValidThrowsKubernetesAggregate() {
    Service.Builder s = web();
    s.getSpecBuilder().setType("Foo");
    assertThatThrownBy(
            () -> ServiceFixtures.VALIDATOR.requireValid(ServiceDefaults.apply(s.build())))
        .isInstanceOf(ValidationException.class)
        .hasMessage(
            "Service \"web\" is invalid: spec.type: Unsupported value: \"Foo\": "
                + "supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"");
  }
}
