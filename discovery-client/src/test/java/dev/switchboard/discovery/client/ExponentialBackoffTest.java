package dev.switchboard.discovery.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExponentialBackoffTest {

  @Test
  void growsExponentiallyUpToTheCap() {
    ExponentialBackoff b =
        new ExponentialBackoff(Duration.ofMillis(100), Duration.ofSeconds(2), 2.0, 0.2, () -> 0.0);
    assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(b.delay(5)).isEqualTo(Duration.ofMillis(1600));
    assertThat(b.delay(6)).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.delay(1000)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void jitterOnlyShortensWithinItsFraction() {
    ExponentialBackoff b =
        new ExponentialBackoff(
            Duration.ofMillis(100), Duration.ofSeconds(2), 2.0, 0.2, () -> 0.999999);
    assertThat(b.delay(1)).isBetween(Duration.ofMillis(80), Duration.ofMillis(81));
    assertThat(b.delay(100)).isBetween(Duration.ofMillis(1600), Duration.ofSeconds(2));
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(
            () -> new ExponentialBackoff(Duration.ZERO, Duration.ofSeconds(1), 2, 0.1, () -> 0))
        .hasMessage("initial: PT0S (expected: > 0)");
    assertThatThrownBy(
            () ->
                new ExponentialBackoff(
                    Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 1.0, () -> 0))
        .hasMessage("jitter: 1.0 (expected: 0 <= jitter < 1)");
  }
}
