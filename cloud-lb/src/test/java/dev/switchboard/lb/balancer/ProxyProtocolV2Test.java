package dev.switchboard.lb.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Byte-exact against the example layout of HAProxy's proxy-protocol.txt, section 2.2. */
class ProxyProtocolV2Test {

  @Test
  void ipv4TcpHeader() {
    ByteBuf h =
        ProxyProtocolV2.encode(
            UnpooledByteBufAllocator.DEFAULT,
            new InetSocketAddress("127.0.30.5", 40_000),
            new InetSocketAddress("127.0.2.7", 80));
    try {
      assertThat(ByteBufUtil.hexDump(h))
          .isEqualTo(
              "0d0a0d0a000d0a515549540a" // signature
                  + "21" // version 2, PROXY
                  + "11" // AF_INET, STREAM
                  + "000c" // 12 address bytes
                  + "7f001e05"
                  + "7f000207" // source, destination
                  + "9c40"
                  + "0050"); // ports 40000, 80
    } finally {
      h.release();
    }
  }

  @Test
  void mixedFamiliesAreWrittenAsIpv6WithMappedIpv4() {
    ByteBuf h =
        ProxyProtocolV2.encode(
            UnpooledByteBufAllocator.DEFAULT,
            new InetSocketAddress("::1", 1),
            new InetSocketAddress("127.0.2.7", 80));
    try {
      assertThat(h.readableBytes()).isEqualTo(16 + 36);
      assertThat(h.getByte(13)).isEqualTo((byte) 0x21);
      assertThat(h.getUnsignedShort(14)).isEqualTo(36);
      assertThat(ByteBufUtil.hexDump(h, 16 + 16, 16)).isEqualTo("00000000000000000000ffff7f000207");
    } finally {
      h.release();
    }
  }
}
