package dev.switchboard.controlplane.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointsValidatorTest {
  private static final EndpointsValidator VALIDATOR = new EndpointsValidator();

  private static Endpoints.Builder database() {
    return Endpoints.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("db"))
        .addEndpoints(
            Endpoint.newBuilder()
                .setAddress("127.0.20.1")
                .setConditions(EndpointConditions.newBuilder().setReady(true).setServing(true))
                .addPorts(EndpointPort.newBuilder().setName("pg").setPort(5432)));
  }

  private static List<String> errors(Endpoints.Builder e) {
    return VALIDATOR.validate(EndpointsDefaults.apply(e.build())).stream()
        .map(FieldError::toString)
        .toList();
  }

  @Test
  void validEndpointsHaveNoErrors() {
    assertThat(errors(database())).isEmpty();
    assertThat(
            EndpointsDefaults.apply(database().build()).getEndpoints(0).getPorts(0).getProtocol())
        .isEqualTo("TCP");
  }

  @Test
  void nameIsTheServicesName() {
    Endpoints.Builder e = database();
    e.getMetadataBuilder().setName("9db");
    assertThat(errors(e))
        .singleElement()
        .asString()
        .startsWith("metadata.name: Invalid value: \"9db\": a DNS-1035 label");
  }

  @Test
  void addressIsRequired() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).setAddress("");
    assertThat(errors(e)).containsExactly("endpoints[0].address: Required value");
  }

  @Test
  void addressIsAnIpv4Address() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).setAddress("db.example.com");
    assertThat(errors(e))
        .containsExactly(
            "endpoints[0].address: Invalid value: \"db.example.com\": must be a valid IPv4 address");
  }

  @Test
  void addressesAreListedOnce() {
    Endpoints.Builder e = database();
    e.addEndpoints(e.getEndpoints(0));
    assertThat(errors(e)).containsExactly("endpoints[1].address: Duplicate value: \"127.0.20.1\"");
  }

  @Test
  void podNameIsForbidden() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).setPodName("db-0");
    assertThat(errors(e))
        .containsExactly(
            "endpoints[0].podName: Forbidden: may not be set for explicitly registered endpoints");
  }

  @Test
  void portIsBetween1And65535() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).getPortsBuilder(0).setPort(0);
    assertThat(errors(e))
        .containsExactly(
            "endpoints[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive");
  }

  @Test
  void protocolIsTcpOrUdp() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).getPortsBuilder(0).setProtocol("SCTP");
    assertThat(errors(e))
        .containsExactly(
            "endpoints[0].ports[0].protocol: Unsupported value: \"SCTP\": supported values: \"TCP\", \"UDP\"");
  }

  @Test
  void portNamesAreRequiredWithSeveralPortsAndUnique() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0)
        .addPorts(EndpointPort.newBuilder().setPort(5433))
        .addPorts(EndpointPort.newBuilder().setName("pg").setPort(5434));
    assertThat(errors(e))
        .containsExactly(
            "endpoints[0].ports[1].name: Required value",
            "endpoints[0].ports[2].name: Duplicate value: \"pg\"");
  }

  @Test
  void requireValidNamesTheEndpoints() {
    Endpoints.Builder e = database();
    e.getEndpointsBuilder(0).setAddress("");
    assertThatThrownBy(() -> VALIDATOR.requireValid(EndpointsDefaults.apply(e.build())))
        .hasMessage("Endpoints \"db\" is invalid: endpoints[0].address: Required value");
  }
}
