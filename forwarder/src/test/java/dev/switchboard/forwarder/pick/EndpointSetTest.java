package dev.switchboard.forwarder.pick;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lookups answer the same whether a set is scanned (small) or indexed (large). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class EndpointSetTest {

  private static InetSocketAddress address(int n) {
    return new InetSocketAddress("127.0.10." + n, 8080);
  }

  @ParameterizedTest
  @ValueSource(ints = {3, EndpointSet.INDEX_THRESHOLD + 5})
  void findAndCandidateFollowTheConditionsWhateverTheSize(int size) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      Endpoint e = Endpoint.ready(address(i));
      endpoints.add(i == 1 ? e.asTerminating() : e);
    }
    endpoints.add(
        Endpoint.ready(address(2)).withConditions(false, false, false)); // duplicate: first wins
    EndpointSet set = new EndpointSet(endpoints);

    assertThat(set.all()).hasSize(size);
    assertThat(set.find(address(2)).ready()).isTrue();
    assertThat(set.find(address(1)).terminating()).isTrue();
    assertThat(set.candidate(address(1))).isNull(); // terminating while others are ready
    assertThat(set.candidate(address(2))).isEqualTo(Endpoint.ready(address(2)));
    assertThat(set.find(address(size + 1))).isNull();
    assertThat(set.candidate(address(size + 1))).isNull();
    // A fresh, equal address object finds it too: identity is the address's value.
    assertThat(set.find(new InetSocketAddress("127.0.10.3", 8080))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {2, EndpointSet.INDEX_THRESHOLD + 5})
  void whenNoneIsReadyTheServingTerminatingOnesAreCandidates(int size) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      endpoints.add(Endpoint.ready(address(i)).asTerminating());
    }
    endpoints.add(Endpoint.ready(address(size + 1)).withConditions(false, false, true));
    EndpointSet set = new EndpointSet(endpoints);

    assertThat(set.terminatingFallback()).isTrue();
    assertThat(set.candidates()).hasSize(size);
    assertThat(set.candidate(address(1))).isNotNull();
    assertThat(set.candidate(address(size + 1))).isNull(); // terminating and not serving
    assertThat(set.find(address(size + 1))).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {4, EndpointSet.INDEX_THRESHOLD + 5})
  void aSetOfReadyEndpointsSharesItsListsWithItsInput(int size) {
    List<Endpoint> endpoints = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      endpoints.add(Endpoint.ready(address(i)));
    }
    List<Endpoint> input = List.copyOf(endpoints);
    EndpointSet set = new EndpointSet(input);
    assertThat(set.all()).isSameAs(input);
    assertThat(set.candidates()).isSameAs(input);
  }
}
