package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterIpRangeTest {

  @Test
  void networkBroadcastAndMeshAddressAreNeverAllocatable() {
    ClusterIpRange range = ClusterIpRange.parse("10.96.0.0/12");
    assertThat(range.meshAddress()).isEqualTo("10.96.0.1");
    assertThat(range.isAllocatable("10.96.0.0")).isFalse();
    assertThat(range.isAllocatable("10.96.0.1")).isFalse();
    assertThat(range.isAllocatable("10.111.255.255")).isFalse();
    assertThat(range.isAllocatable("10.96.0.2")).isTrue();
    assertThat(range.isAllocatable("10.111.255.254")).isTrue();
    assertThat(range.allocatableCount()).isEqualTo((1L << 20) - 3);
  }

  @Test
  void staticBandFollowsKubernetesFormula() {
    // min(max(16, size/16), 256) addresses counted from offset 1; offset 1 is the mesh's.
    assertThat(ClusterIpRange.parse("10.96.0.0/12").staticBandSize()).isEqualTo(256 - 1);
    assertThat(ClusterIpRange.parse("127.96.0.0/16").staticBandSize()).isEqualTo(256 - 1);
    assertThat(ClusterIpRange.parse("10.0.0.0/24").staticBandSize()).isEqualTo(16 - 1);
    assertThat(ClusterIpRange.parse("10.0.0.0/21").staticBandSize()).isEqualTo(128 - 1);
    assertThat(ClusterIpRange.parse("10.0.0.0/28").staticBandSize()).isZero();
    ClusterIpRange local = ClusterIpRange.parse("127.96.0.0/16");
    assertThat(local.isInStaticBand("127.96.0.2")).isTrue();
    assertThat(local.isInStaticBand("127.96.1.0")).isTrue();
    assertThat(local.isInStaticBand("127.96.1.1")).isFalse();
  }

  @Test
  void dynamicPicksComeFromTheUpperBandWhileItHasRoom() {
    ClusterIpRange range = ClusterIpRange.parse("10.0.0.0/24");
    Random random = new Random(1);
    Set<String> used = new HashSet<>();
    // 256 - network - broadcast - mesh - 15 static = 238 dynamic addresses.
    for (int i = 0; i < 238; i++) {
      String ip = range.pick(used::contains, random).orElseThrow();
      assertThat(range.isAllocatable(ip)).isTrue();
      assertThat(range.isInStaticBand(ip)).as("pick %d: %s", i, ip).isFalse();
      assertThat(used.add(ip)).isTrue();
    }
    // Then the static band, and then nothing.
    for (int i = 0; i < 15; i++) {
      String ip = range.pick(used::contains, random).orElseThrow();
      assertThat(range.isInStaticBand(ip)).isTrue();
      assertThat(used.add(ip)).isTrue();
    }
    assertThat(range.pick(used::contains, random)).isEmpty();
    assertThat(used).doesNotContain("10.0.0.0", "10.0.0.1", "10.0.0.255");
  }

  @Test
  void picksAreSpreadRandomlyAcrossTheDynamicBand() {
    ClusterIpRange range = ClusterIpRange.parse("10.96.0.0/12");
    Random random = new Random(7);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String ip = range.pick(x -> false, random).orElseThrow();
      assertThat(range.isInStaticBand(ip)).isFalse();
      seen.add(ip);
    }
    assertThat(seen.size()).isGreaterThan(990);
  }

  @Test
  void exhaustedRangeReturnsEmpty() {
    ClusterIpRange range = ClusterIpRange.parse("10.0.0.0/30");
    assertThat(range.allocatableCount()).isEqualTo(1);
    assertThat(range.pick(ip -> false, new Random())).isEqualTo(Optional.of("10.0.0.2"));
    assertThat(range.pick(ip -> true, new Random())).isEmpty();
  }

  @Test
  void refusesCidrsTooLargeOrTooSmall() {
    assertThatThrownBy(() -> ClusterIpRange.parse("10.0.0.0/8"))
        .hasMessage("cidr: 10.0.0.0/8 (expected: a prefix length from /12 to /30)");
    assertThatThrownBy(() -> ClusterIpRange.parse("10.0.0.0/31"))
        .hasMessage("cidr: 10.0.0.0/31 (expected: a prefix length from /12 to /30)");
  }
}
