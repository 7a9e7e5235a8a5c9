package dev.switchboard.lb.nodes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetHealthTest {
  private static final String FAIL = "connection refused";

  @Test
  void aNewTargetPassesOnItsFirstSuccess() {
    TargetHealth h = new TargetHealth(3, 2);
    assertThat(h.up()).isFalse();
    assertThat(h.record(FAIL)).isFalse();
    assertThat(h.record(null)).isTrue();
    assertThat(h.up()).isTrue();
  }

  @Test
  void fallAndRiseThresholdsApplyOnceUp() {
    TargetHealth h = new TargetHealth(3, 2);
    h.record(null);
    assertThat(h.record(FAIL)).isFalse();
    assertThat(h.record(null)).isFalse(); // a pass resets the failure count
    assertThat(h.record(FAIL)).isFalse();
    assertThat(h.record(FAIL)).isTrue();
    assertThat(h.up()).isFalse();
    assertThat(h.lastFailure()).isEqualTo(FAIL);
    assertThat(h.record(null)).isFalse();
    assertThat(h.record(null)).isFalse();
    assertThat(h.record(FAIL)).isFalse(); // a failure resets the pass count
    assertThat(h.record(null)).isFalse();
    assertThat(h.record(null)).isFalse();
    assertThat(h.record(null)).isTrue();
    assertThat(h.up()).isTrue();
  }
}
