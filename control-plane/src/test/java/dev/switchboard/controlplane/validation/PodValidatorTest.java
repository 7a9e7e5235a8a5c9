package dev.switchboard.controlplane.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.v1.Container;
import dev.switchboard.v1.ContainerPort;
import dev.switchboard.v1.ExecAction;
import dev.switchboard.v1.GRPCAction;
import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodSpec;
import dev.switchboard.v1.PodStatus;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.TCPSocketAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodValidatorTest {
  private static final PodValidator VALIDATOR = new PodValidator();

  private static Pod.Builder pod() {
    return Pod.newBuilder()
        .setMetadata(
            ObjectMeta.newBuilder()
                .setNamespace("default")
                .setName("web-7d4b9c-x2x9z")
                .putLabels("app", "web"))
        .setSpec(
            PodSpec.newBuilder()
                .setNodeName("node-1")
                .addContainers(
                    Container.newBuilder()
                        .setName("web")
                        .addPorts(
                            ContainerPort.newBuilder().setName("http").setContainerPort(8080))))
        .setStatus(PodStatus.newBuilder().setPodIp("127.0.10.1").setReady(true));
  }

  private static List<String> errors(Pod.Builder pod) {
    return VALIDATOR.validate(PodDefaults.apply(pod.build())).stream()
        .map(FieldError::toString)
        .toList();
  }

  @Test
  void validPodHasNoErrors() {
    assertThat(errors(pod())).isEmpty();
    assertThat(
            PodDefaults.apply(pod().build()).getSpec().getContainers(0).getPorts(0).getProtocol())
        .isEqualTo("TCP");
  }

  @Test
  void nameIsADns1123Subdomain() {
    Pod.Builder p = pod();
    p.getMetadataBuilder().setName("web.v2-0");
    assertThat(errors(p)).isEmpty();
    p.getMetadataBuilder().setName("Web");
    assertThat(errors(p))
        .containsExactly(
            "metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must "
                + "consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                + "character (e.g. 'example.com', regex used for validation is "
                + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }

  @Test
  void nameAndNamespaceAreRequired() {
    Pod.Builder p = pod();
    p.getMetadataBuilder().setName("");
    assertThat(errors(p)).containsExactly("metadata.name: Required value");
  }

  @Test
  void labelsAreValidated() {
    Pod.Builder p = pod();
    p.getMetadataBuilder().putLabels("app", "web server");
    assertThat(errors(p))
        .singleElement()
        .asString()
        .startsWith("metadata.labels: Invalid value: \"web server\": a valid label");
  }

  @Test
  void podIpIsRequired() {
    Pod.Builder p = pod();
    p.getStatusBuilder().setPodIp("");
    assertThat(errors(p)).containsExactly("status.podIP: Required value");
  }

  @Test
  void podIpIsAnIpv4Address() {
    Pod.Builder p = pod();
    p.getStatusBuilder().setPodIp("fd00::1");
    assertThat(errors(p))
        .containsExactly("status.podIP: Invalid value: \"fd00::1\": must be a valid IPv4 address");
  }

  @Test
  void nodeNameIsADns1123Subdomain() {
    Pod.Builder p = pod();
    p.getSpecBuilder().setNodeName("Node_1");
    assertThat(errors(p))
        .singleElement()
        .asString()
        .startsWith("spec.nodeName: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain");
  }

  @Test
  void containerPortNamesAreIanaServiceNames() {
    Pod.Builder p = pod();
    p.getSpecBuilder().getContainersBuilder(0).getPortsBuilder(0).setName("http-management1");
    assertThat(errors(p))
        .containsExactly(
            "spec.containers[0].ports[0].name: Invalid value: \"http-management1\": must be no more than 15 characters");
  }

  @Test
  void containerPortNamesAreUniqueInThePod() {
    Pod.Builder p = pod();
    p.getSpecBuilder()
        .addContainers(
            Container.newBuilder()
                .setName("sidecar")
                .addPorts(ContainerPort.newBuilder().setName("http").setContainerPort(9090)));
    assertThat(errors(p))
        .containsExactly("spec.containers[1].ports[0].name: Duplicate value: \"http\"");
  }

  @Test
  void containerNamesAreUniqueLabels() {
    Pod.Builder p = pod();
    p.getSpecBuilder().addContainers(Container.newBuilder().setName("web"));
    assertThat(errors(p)).containsExactly("spec.containers[1].name: Duplicate value: \"web\"");
  }

  @Test
  void containerPortIsRequired() {
    Pod.Builder p = pod();
    p.getSpecBuilder().getContainersBuilder(0).getPortsBuilder(0).setContainerPort(0);
    assertThat(errors(p))
        .containsExactly("spec.containers[0].ports[0].containerPort: Required value");
  }

  @Test
  void containerPortIsBetween1And65535() {
    Pod.Builder p = pod();
    p.getSpecBuilder().getContainersBuilder(0).getPortsBuilder(0).setContainerPort(70000);
    assertThat(errors(p))
        .containsExactly(
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive");
  }

  @Test
  void containerPortProtocolIsTcpOrUdp() {
    Pod.Builder p = pod();
    p.getSpecBuilder().getContainersBuilder(0).getPortsBuilder(0).setProtocol("tcp");
    assertThat(errors(p))
        .containsExactly(
            "spec.containers[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"TCP\", \"UDP\"");
  }

  @Test
  void updateKeepsTheName() {
    Pod renamed = pod().setMetadata(pod().getMetadataBuilder().setName("other")).build();
    assertThat(
            VALIDATOR.validateUpdate(PodDefaults.apply(pod().build()), PodDefaults.apply(renamed)))
        .extracting(FieldError::toString)
        .containsExactly("metadata.name: Invalid value: \"other\": field is immutable");
  }

  @Test
  void requireValidNamesThePod() {
    Pod.Builder p = pod();
    p.getStatusBuilder().setPodIp("");
    assertThatThrownBy(() -> VALIDATOR.requireValid(PodDefaults.apply(p.build())))
        .hasMessage("Pod \"web-7d4b9c-x2x9z\" is invalid: status.podIP: Required value");
  }

  private static Pod.Builder probed(Probe.Builder probe) {
    Pod.Builder p = pod();
    p.getSpecBuilder().getContainersBuilder(0).setReadinessProbe(probe);
    return p;
  }

  @Test
  void probesGetKubernetesDefaults() {
    Probe probe =
        PodDefaults.apply(
                probed(
                        Probe.newBuilder()
                            .setHttpGet(
                                HTTPGetAction.newBuilder()
                                    .setPort(IntOrString.newBuilder().setStrValue("http"))))
                    .build())
            .getSpec()
            .getContainers(0)
            .getReadinessProbe();
    assertThat(probe.getTimeoutSeconds()).isEqualTo(1);
    assertThat(probe.getPeriodSeconds()).isEqualTo(10);
    assertThat(probe.getSuccessThreshold()).isEqualTo(1);
    assertThat(probe.getFailureThreshold()).isEqualTo(3);
    assertThat(probe.getHttpGet().getPath()).isEqualTo("/");
    assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(errors(probed(probe.toBuilder()))).isEmpty();
  }

  @Test
  void anExecProbeIsRefusedWithAFieldError() {
    assertThat(
            errors(probed(Probe.newBuilder().setExec(ExecAction.newBuilder().addCommand("cat")))))
        .containsExactly(
            "spec.containers[0].readinessProbe.exec: Forbidden: exec probes cannot run here:"
                + " Switchboard runs no containers (use httpGet, tcpSocket or grpc)");
  }

  @Test
  void probeFieldsFollowKubernetesRules() {
    assertThat(errors(probed(Probe.newBuilder())))
        .containsExactly(
            "spec.containers[0].readinessProbe: Required value: must specify a handler type");
    assertThat(
            errors(
                probed(
                    Probe.newBuilder()
                        .setPeriodSeconds(-1)
                        .setTcpSocket(
                            TCPSocketAction.newBuilder()
                                .setPort(IntOrString.newBuilder().setStrValue("metrics"))))))
        .containsExactly(
            "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"metrics\": must be the name of"
                + " one of the pod's container ports",
            "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal"
                + " to 0");
    assertThat(
            errors(
                probed(
                    Probe.newBuilder()
                        .setHttpGet(
                            HTTPGetAction.newBuilder()
                                .setScheme("FTP")
                                .setPort(IntOrString.newBuilder().setIntValue(70000))))))
        .containsExactly(
            "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535,"
                + " inclusive",
            "spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values:"
                + " \"HTTP\", \"HTTPS\"");
    Pod.Builder startup = pod();
    startup
        .getSpecBuilder()
        .getContainersBuilder(0)
        .setStartupProbe(
            Probe.newBuilder()
                .setSuccessThreshold(2)
                .setGrpc(GRPCAction.newBuilder().setPort(9000)));
    assertThat(errors(startup))
        .containsExactly(
            "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1");
  }
}
