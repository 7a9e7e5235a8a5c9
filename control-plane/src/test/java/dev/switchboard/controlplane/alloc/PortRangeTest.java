package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortRangeTest {

  @Test
  void defaultIsKubernetesRange() {
    assertThat(PortRange.DEFAULT).isEqualTo(PortRange.parse("30000-32767"));
    assertThat(PortRange.DEFAULT.size()).isEqualTo(2768);
    assertThat(PortRange.DEFAULT).hasToString("30000-32767");
    assertThat(PortRange.DEFAULT.contains(29999)).isFalse();
    assertThat(PortRange.DEFAULT.contains(30000)).isTrue();
    assertThat(PortRange.DEFAULT.contains(32767)).isTrue();
    assertThat(PortRange.DEFAULT.contains(32768)).isFalse();
  }

  @Test
  void staticBandFollowsKubernetesFormula() {
    // min(max(16, size/32), 128): 2768/32 = 86 → 30000..30085.
    assertThat(PortRange.DEFAULT.staticBandSize()).isEqualTo(86);
    assertThat(PortRange.DEFAULT.isInStaticBand(30085)).isTrue();
    assertThat(PortRange.DEFAULT.isInStaticBand(30086)).isFalse();
    assertThat(new PortRange(1, 65535).staticBandSize()).isEqualTo(128);
    assertThat(new PortRange(30000, 30099).staticBandSize()).isEqualTo(16);
    assertThat(new PortRange(30000, 30015).staticBandSize()).isZero();
  }

  @Test
  void dynamicPicksComeFromTheUpperBandWhileItHasRoom() {
    PortRange range = new PortRange(30000, 30999); // static band 31 ports
    Random random = new Random(3);
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 1000 - 31; i++) {
      int port = range.pick(used::contains, random).orElseThrow();
      assertThat(range.isInStaticBand(port)).as("pick %d: %d", i, port).isFalse();
      assertThat(used.add(port)).isTrue();
    }
    for (int i = 0; i < 31; i++) {
      int port = range.pick(used::contains, random).orElseThrow();
      assertThat(range.isInStaticBand(port)).isTrue();
      assertThat(used.add(port)).isTrue();
    }
    assertThat(range.pick(used::contains, random)).isEmpty();
  }

  @Test
  void staticRequestsInTheLowBandDoNotStopDynamicPicks() {
    Set<Integer> used = new HashSet<>();
    for (int p = 30000; p < 30086; p++) {
      used.add(p);
    }
    int port = PortRange.DEFAULT.pick(used::contains, new Random()).orElseThrow();
    assertThat(port).isBetween(30086, 32767);
  }

  @Test
  void parsesSinglePortsAndRefusesNonsense() {
    assertThat(PortRange.parse("30000").size()).isEqualTo(1);
    assertThatThrownBy(() -> PortRange.parse("a-b"))
        .hasMessage("portRange: \"a-b\" (expected: FIRST-LAST such as 30000-32767)");
    assertThatThrownBy(() -> PortRange.parse("32767-30000"))
        .hasMessage("last: 30000 (expected: 32767..65535)");
    assertThatThrownBy(() -> new PortRange(0, 10)).hasMessage("first: 0 (expected: 1..65535)");
  }
}
