package dev.switchboard.lb.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceRangesTest {

  @Test
  void matchesByPrefix() throws Exception {
    SourceRanges r = SourceRanges.parse(List.of("127.0.30.0/24", "10.1.2.3/32", "192.168.0.0/17"));
    assertThat(r.allows(InetAddress.getByName("127.0.30.5"))).isTrue();
    assertThat(r.allows(InetAddress.getByName("127.0.31.5"))).isFalse();
    assertThat(r.allows(InetAddress.getByName("127.0.40.1"))).isFalse();
    assertThat(r.allows(InetAddress.getByName("10.1.2.3"))).isTrue();
    assertThat(r.allows(InetAddress.getByName("10.1.2.4"))).isFalse();
    assertThat(r.allows(InetAddress.getByName("192.168.127.255"))).isTrue();
    assertThat(r.allows(InetAddress.getByName("192.168.128.0"))).isFalse();
    assertThat(r.allows(InetAddress.getByName("::1"))).isFalse();
  }

  @Test
  void emptyAllowsEveryoneAndZeroPrefixAllowsEveryIpv4() throws Exception {
    assertThat(SourceRanges.parse(List.of()).allows(InetAddress.getByName("127.0.40.1"))).isTrue();
    SourceRanges any = SourceRanges.parse(List.of("0.0.0.0/0"));
    assertThat(any.allows(InetAddress.getByName("127.0.40.1"))).isTrue();
    assertThat(any.isAll()).isFalse();
    // Host bits are ignored, as Kubernetes does.
    assertThat(
            SourceRanges.parse(List.of("127.0.30.77/24"))
                .allows(InetAddress.getByName("127.0.30.1")))
        .isTrue();
    assertThat(SourceRanges.parse(List.of("::1/128")).allows(InetAddress.getByName("::1")))
        .isTrue();
  }

  @Test
  void badRangesNameTheEntry() {
    assertThatThrownBy(() -> SourceRanges.parse(List.of("127.0.30.0/24", "example.com/8")))
        .hasMessage(
            "spec.loadBalancerSourceRanges[1]: example.com/8 (expected: a CIDR such as 10.0.0.0/8)");
    assertThatThrownBy(() -> SourceRanges.parse(List.of("127.0.30.0")))
        .hasMessage(
            "spec.loadBalancerSourceRanges[0]: 127.0.30.0 (expected: a CIDR such as 10.0.0.0/8)");
    assertThatThrownBy(() -> SourceRanges.parse(List.of("127.0.30.0/33")))
        .hasMessage(
            "spec.loadBalancerSourceRanges[0]: 127.0.30.0/33 (expected: a prefix length 0-32)");
  }
}
