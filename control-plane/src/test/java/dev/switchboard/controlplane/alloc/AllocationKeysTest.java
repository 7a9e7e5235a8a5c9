package dev.switchboard.controlplane.alloc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AllocationKeysTest {

  @Test
  void keysAreAsTheDesignNamesThem() {
    assertThat(AllocationKeys.clusterIp("10.96.0.10")).isEqualTo("alloc/clusterip/10.96.0.10");
    assertThat(AllocationKeys.nodePort(Protocol.TCP, 30080)).isEqualTo("alloc/nodeport/tcp/30080");
    assertThat(AllocationKeys.nodePort(Protocol.UDP, 30053)).isEqualTo("alloc/nodeport/udp/30053");
    assertThat(AllocationKeys.lbIp("127.0.2.7")).isEqualTo("alloc/lbip/127.0.2.7");
  }

  @Test
  void keysRoundTrip() {
    Allocation[] all = {
      new Allocation.ClusterIp("10.96.0.10"),
      new Allocation.NodePort(Protocol.TCP, 30080),
      new Allocation.NodePort(Protocol.UDP, 1),
      new Allocation.NodePort(Protocol.UDP, 65535),
      new Allocation.LbIp("127.0.2.7"),
    };
    for (Allocation a : all) {
      assertThat(AllocationKeys.parse(a.key())).hasValue(a);
    }
  }

  @Test
  void otherAndMalformedKeysAreNotAllocations() {
    for (String key :
        new String[] {
          "services/default/web",
          "alloc/clusterip/",
          "alloc/clusterip/10.96.0",
          "alloc/nodeport/sctp/30000",
          "alloc/nodeport/tcp/030000",
          "alloc/nodeport/tcp/65536",
          "alloc/nodeport/tcp",
          "alloc/lbip/::1",
          "alloc/other/x"
        }) {
      assertThat(AllocationKeys.parse(key)).as(key).isEmpty();
    }
    assertThat(AllocationKeys.parse(null)).isEmpty();
  }
}
