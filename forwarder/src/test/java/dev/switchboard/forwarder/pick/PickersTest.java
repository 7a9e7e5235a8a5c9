package dev.switchboard.forwarder.pick;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.forwarder.Endpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PickersTest {
  private static final InetSocketAddress CLIENT_1 = new InetSocketAddress("127.0.20.1", 40000);
  private static final InetSocketAddress CLIENT_1_OTHER_PORT =
      new InetSocketAddress("127.0.20.1", 40001);
  private static final InetSocketAddress CLIENT_2 = new InetSocketAddress("127.0.20.2", 40000);

  private static Endpoint ep(int n) {
    return Endpoint.ready(new InetSocketAddress("127.0.10." + n, 8080));
  }

  @Test
  void candidatesAreReadyEndpointsWithTerminatingFallback() {
    Endpoint a = ep(1);
    Endpoint b = ep(2);
    Endpoint notReady = ep(3).withConditions(false, false, false);
    assertThat(new EndpointSet(List.of(a, b.asTerminating(), notReady)).candidates())
        .containsExactly(a);

    EndpointSet draining = new EndpointSet(List.of(a.asTerminating(), b.asTerminating()));
    assertThat(draining.candidates()).containsExactly(a.asTerminating(), b.asTerminating());
    assertThat(draining.terminatingFallback()).isTrue();

    // Terminating and not serving: never used.
    assertThat(new EndpointSet(List.of(a.withConditions(false, false, true))).candidates())
        .isEmpty();
    // Duplicates count once.
    assertThat(new EndpointSet(List.of(a, a, b)).candidates()).containsExactly(a, b);
  }

  @Test
  void randomPickerIsUniformAndHonoursExclusions() {
    EndpointSet set = new EndpointSet(List.of(ep(1), ep(2), ep(3), ep(4)));
    RandomPicker picker = new RandomPicker();
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < 40_000; i++) {
      counts.merge(picker.pick(set, CLIENT_1, Set.of()), 1, Integer::sum);
    }
    // Binomial(40000, 1/4): sd 86.6; +-600 is ~7 sd.
    assertThat(counts.values()).hasSize(4).allSatisfy(n -> assertThat(n).isBetween(9_400, 10_600));

    Set<InetSocketAddress> tried =
        Set.of(ep(1).socketAddress(), ep(2).socketAddress(), ep(3).socketAddress());
    for (int i = 0; i < 100; i++) {
      assertThat(picker.pick(set, CLIENT_1, tried)).isEqualTo(ep(4));
    }
    Set<InetSocketAddress> all =
        Set.of(
            ep(1).socketAddress(),
            ep(2).socketAddress(),
            ep(3).socketAddress(),
            ep(4).socketAddress());
    assertThat(picker.pick(set, CLIENT_1, all)).isNull();
    assertThat(picker.pick(EndpointSet.EMPTY, CLIENT_1, Set.of())).isNull();
  }

  @Test
  void clientIpAffinityPinsUntilTimeoutSinceLastUse() {
    AtomicLong now = new AtomicLong();
    ClientIpAffinityPicker picker =
        new ClientIpAffinityPicker(new RandomPicker(), Duration.ofSeconds(10), 100, now::get);
    EndpointSet set = new EndpointSet(List.of(ep(1), ep(2), ep(3)));

    Endpoint pinned = picker.pick(set, CLIENT_1, Set.of());
    for (int i = 0; i < 50; i++) {
      now.addAndGet(Duration.ofSeconds(9).toNanos()); // each use refreshes the pin
      assertThat(picker.pick(set, CLIENT_1_OTHER_PORT, Set.of())).isEqualTo(pinned);
    }
    // 10 s without use: the pin expires (the next pick is random again, and the old pin is gone).
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    picker.pick(set, CLIENT_2, Set.of()); // sweeps expired pins
    assertThat(picker.size()).isEqualTo(1);
  }

  @Test
  void clientIpAffinityRepicksWhenThePinnedEndpointIsGoneOrFailed() {
    AtomicLong now = new AtomicLong();
    ClientIpAffinityPicker picker =
        new ClientIpAffinityPicker(new RandomPicker(), Duration.ofHours(3), 100, now::get);
    EndpointSet set = new EndpointSet(List.of(ep(1), ep(2)));
    Endpoint pinned = picker.pick(set, CLIENT_1, Set.of());
    Endpoint other = pinned.equals(ep(1)) ? ep(2) : ep(1);

    // Pinned endpoint now terminating: not a candidate, the client moves, and stays moved.
    EndpointSet draining = new EndpointSet(List.of(pinned.asTerminating(), other));
    assertThat(picker.pick(draining, CLIENT_1, Set.of())).isEqualTo(other);
    assertThat(picker.pick(set, CLIENT_1, Set.of())).isEqualTo(other);

    // A failed connect excludes the pin: re-picked elsewhere.
    assertThat(picker.pick(set, CLIENT_1, Set.of(other.socketAddress()))).isEqualTo(pinned);
    assertThat(picker.pick(EndpointSet.EMPTY, CLIENT_1, Set.of())).isNull();
  }

  @Test
  void affinityTableIsBounded() {
    ClientIpAffinityPicker picker =
        new ClientIpAffinityPicker(new RandomPicker(), Duration.ofHours(3), 3, System::nanoTime);
    EndpointSet set = new EndpointSet(List.of(ep(1)));
    for (int i = 1; i <= 10; i++) {
      picker.pick(set, new InetSocketAddress("127.0.20." + i, 1), Set.of());
    }
    assertThat(picker.size()).isEqualTo(3);
  }

  @Test
  void argumentChecksNameTheValue() {
    assertThatThrownBy(() -> new ClientIpAffinityPicker(new RandomPicker(), Duration.ZERO))
        .hasMessage("timeout: PT0S (expected: > 0)");
    assertThatThrownBy(() -> Endpoint.ready(new InetSocketAddress("127.0.10.1", 0)))
        .hasMessage("port: 0 (expected: 1-65535)");
  }
}
