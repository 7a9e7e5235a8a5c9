package dev.switchboard.agent.state;

import static dev.switchboard.agent.Protos.endpoint;
import static dev.switchboard.agent.Protos.endpointPort;
import static dev.switchboard.agent.Protos.endpoints;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EndpointsCompactorTest {

  @Test
  void keepsEverythingTheAgentReadsAndDropsThePodName() throws Exception {
    Endpoints in =
        parsed(
            endpoints(
                    "web",
                    endpoint("127.0.10.1", "n1", true, true, false, endpointPort("http", 8080)),
                    endpoint("127.0.10.2", "n2", false, true, true, endpointPort("http", 8081)))
                .toBuilder()
                .setEndpoints(
                    0,
                    endpoint("127.0.10.1", "n1", true, true, false, endpointPort("http", 8080))
                        .toBuilder()
                        .setPodName("web-1"))
                .build());

    Endpoints out = new EndpointsCompactor().compact(in);

    assertThat(out.getEndpoints(0).getPodName()).isEmpty();
    assertThat(out)
        .isEqualTo(
            in.toBuilder().setEndpoints(0, in.getEndpoints(0).toBuilder().clearPodName()).build());
  }

  @Test
  void sharesNodeNamesPortsAndConditionsAcrossServices() throws Exception {
    EndpointsCompactor compactor = new EndpointsCompactor();
    // Parsed separately, as two messages off the wire: equal values, distinct instances.
    Endpoint a =
        compactor
            .compact(
                parsed(
                    endpoints(
                        "a",
                        endpoint(
                            "127.0.10.1",
                            "node-7",
                            true,
                            true,
                            false,
                            endpointPort("http", 8080)))))
            .getEndpoints(0);
    Endpoint b =
        compactor
            .compact(
                parsed(
                    endpoints(
                        "b",
                        endpoint(
                            "127.0.10.2",
                            "node-7",
                            true,
                            true,
                            false,
                            endpointPort("http", 8080)))))
            .getEndpoints(0);

    assertThat(b.getNodeName()).isSameAs(a.getNodeName());
    assertThat(b.getConditions()).isSameAs(a.getConditions());
    assertThat(b.getPorts(0)).isSameAs(a.getPorts(0));
    assertThat(b.getAddress()).isEqualTo("127.0.10.2");
  }

  @Test
  void theSharingTableIsBounded() throws Exception {
    EndpointsCompactor compactor = new EndpointsCompactor();
    for (int i = 0; i < EndpointsCompactor.MAX_SHARED + 10; i++) {
      compactor.compact(endpoints("s", endpoint("127.0.10.1", "node-" + i, true, true, false)));
    }
    assertThat(compactor.sharedCount()).isLessThanOrEqualTo(EndpointsCompactor.MAX_SHARED);
  }

  private static Endpoints parsed(Endpoints e) throws Exception {
    return Endpoints.parseFrom(e.toByteArray());
  }
}
