package dev.switchboard.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The name decoder that replaces Netty's on the query path: same answers, same refusals. */
@Timeout(10)
class WireCodecTest {

  @Test
  void readsLabelsAndFollowsPointersBackwards() {
    // 12 bytes of header, then "Www.Example.com." at 12, then "a." + pointer to 12 at 29
    ByteBuf msg = Unpooled.buffer();
    msg.writeZero(12);
    WireCodec.writeName(msg, "Www.Example.com.");
    int second = msg.writerIndex();
    msg.writeByte(1).writeByte('a').writeShort(0xc000 | 12).writeShort(0x1234);
    msg.readerIndex(12);
    assertThat(WireCodec.dotted(WireCodec.decodeName(msg))).isEqualTo("Www.Example.com.");
    assertThat(msg.readerIndex()).isEqualTo(second);
    byte[] wire = WireCodec.decodeName(msg);
    assertThat(WireCodec.dotted(wire)).isEqualTo("a.Www.Example.com.");
    assertThat(msg.readUnsignedShort())
        .as("the reader continues after the pointer")
        .isEqualTo(0x1234);
    msg.readerIndex(second);
    assertThat(WireCodec.dotted(WireCodec.decodeName(msg)))
        .isEqualTo(DefaultDnsRecordDecoder.decodeName(msg.readerIndex(second)));
  }

  @Test
  void theRootIsADot() {
    assertThat(WireCodec.dotted(WireCodec.decodeName(Unpooled.wrappedBuffer(new byte[] {0}))))
        .isEqualTo(".");
  }

  @Test
  void refusesLoopsForwardPointersLongNamesAndTruncation() {
    ByteBuf loop = Unpooled.buffer().writeZero(12).writeShort(0xc000 | 12); // points at itself
    assertThatThrownBy(() -> WireCodec.decodeName(loop.readerIndex(12)))
        .isInstanceOf(CorruptedFrameException.class);
    ByteBuf forward = Unpooled.buffer().writeZero(12).writeShort(0xc000 | 20).writeZero(10);
    assertThatThrownBy(() -> WireCodec.decodeName(forward.readerIndex(12)))
        .isInstanceOf(CorruptedFrameException.class);
    ByteBuf extended = Unpooled.wrappedBuffer(new byte[] {0x41, 0});
    assertThatThrownBy(() -> WireCodec.decodeName(extended))
        .isInstanceOf(CorruptedFrameException.class);
    ByteBuf cut = Unpooled.wrappedBuffer(new byte[] {5, 'a', 'b'});
    assertThatThrownBy(() -> WireCodec.decodeName(cut)).isInstanceOf(CorruptedFrameException.class);
    ByteBuf unterminated = Unpooled.wrappedBuffer(new byte[] {1, 'a'});
    assertThatThrownBy(() -> WireCodec.decodeName(unterminated))
        .isInstanceOf(CorruptedFrameException.class);
    ByteBuf longName = Unpooled.buffer();
    for (int i = 0; i < 5; i++) {
      longName.writeByte(63).writeZero(63); // 5 x 64 = 320 > 255
    }
    longName.writeByte(0);
    assertThatThrownBy(() -> WireCodec.decodeName(longName))
        .isInstanceOf(CorruptedFrameException.class);
  }
}
