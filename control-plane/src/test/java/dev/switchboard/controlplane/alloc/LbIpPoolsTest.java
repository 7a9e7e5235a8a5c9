package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LbIpPoolsTest {

  @Test
  void cidrPoolSkipsNetworkAndBroadcast() {
    LbIpPools pools = LbIpPools.parse("127.0.2.0/24");
    assertThat(pools.size()).isEqualTo(254);
    assertThat(pools.contains("127.0.2.0")).isFalse();
    assertThat(pools.contains("127.0.2.1")).isTrue();
    assertThat(pools.contains("127.0.2.254")).isTrue();
    assertThat(pools.contains("127.0.2.255")).isFalse();
    assertThat(pools.contains("127.0.3.1")).isFalse();
  }

  @Test
  void slash31And32AndRangesGiveEveryAddress() {
    assertThat(LbIpPools.parse("10.0.0.0/31").size()).isEqualTo(2);
    assertThat(LbIpPools.parse("10.0.0.7/32").contains("10.0.0.7")).isTrue();
    LbIpPools range = LbIpPools.parse("10.0.0.5-10.0.0.9");
    assertThat(range.size()).isEqualTo(5);
    assertThat(range.contains("10.0.0.5")).isTrue();
    assertThat(range.contains("10.0.0.9")).isTrue();
    assertThat(range.contains("10.0.0.10")).isFalse();
  }

  @Test
  void picksEveryAddressOfEveryPoolThenNothing() {
    LbIpPools pools = LbIpPools.of(List.of("10.0.0.5-10.0.0.7", "192.168.0.0/30"));
    Set<String> used = new HashSet<>();
    Random random = new Random(5);
    for (int i = 0; i < 5; i++) {
      assertThat(used.add(pools.pick(used::contains, random).orElseThrow())).isTrue();
    }
    assertThat(used)
        .containsExactlyInAnyOrder(
            "10.0.0.5", "10.0.0.6", "10.0.0.7", "192.168.0.1", "192.168.0.2");
    assertThat(pools.pick(used::contains, random)).isEmpty();
  }

  @Test
  void noPoolsPickNothing() {
    assertThat(LbIpPools.parse("").isEmpty()).isTrue();
    assertThat(LbIpPools.none().pick(ip -> false, new Random())).isEmpty();
  }

  @Test
  void describesPoolsAsWritten() {
    assertThat(LbIpPools.parse("127.0.2.0/24, 10.0.0.5-10.0.0.9"))
        .hasToString("10.0.0.5-10.0.0.9, 127.0.2.0/24");
  }

  @Test
  void refusesOverlapsAndBadEntries() {
    assertThatThrownBy(() -> LbIpPools.parse("10.0.0.0/24,10.0.0.7-10.0.1.3"))
        .hasMessage(
            "pools: 10.0.0.0/24 and 10.0.0.7-10.0.1.3 (expected: pools that do not overlap)");
    assertThatThrownBy(() -> LbIpPools.parse("10.0.0.9-10.0.0.5"))
        .hasMessage("pool: \"10.0.0.9-10.0.0.5\" (expected: FIRST-LAST with FIRST <= LAST)");
    assertThatThrownBy(() -> LbIpPools.parse("fd00::/120"))
        .hasMessage("cidr: \"fd00::/120\" (expected: an IPv4 CIDR; IPv6 is not supported)");
  }
}
