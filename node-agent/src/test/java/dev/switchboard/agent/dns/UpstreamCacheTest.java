package dev.switchboard.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the upstream cache keeps, for how long, and how much of it (messages built by hand). */
@Timeout(10)
class UpstreamCacheTest {
  private static final long SECOND = 1_000_000_000L;
  private static final UpstreamCache.Key KEY = new UpstreamCache.Key("a.example.", 1, 1, true);

  /** A response to a.example A: rcode, answers (A, TTL), an authority SOA (TTL, minimum). */
  private static ByteBuf response(int flags, int[] answerTtls, int soaTtl, int soaMinimum) {
    ByteBuf m = Unpooled.buffer();
    m.writeShort(0x1234)
        .writeShort(0x8000 | flags)
        .writeShort(1)
        .writeShort(answerTtls.length)
        .writeShort(soaTtl < 0 ? 0 : 1)
        .writeShort(1);
    WireCodec.writeName(m, "a.example.");
    m.writeShort(1).writeShort(1);
    for (int ttl : answerTtls) {
      m.writeShort(0xc00c)
          .writeShort(1)
          .writeShort(1)
          .writeInt(ttl)
          .writeShort(4)
          .writeInt(0x0a000001);
    }
    if (soaTtl >= 0) {
      m.writeByte(7)
          .writeBytes("example".getBytes())
          .writeByte(0)
          .writeShort(6)
          .writeShort(1)
          .writeInt(soaTtl);
      int len = m.writerIndex();
      m.writeShort(0)
          .writeByte(0)
          .writeByte(0)
          .writeInt(1)
          .writeInt(7200)
          .writeInt(1800)
          .writeInt(86400)
          .writeInt(soaMinimum);
      m.setShort(len, m.writerIndex() - len - 2);
    }
    m.writeByte(0).writeShort(41).writeShort(1232).writeInt(0).writeShort(0); // OPT: TTL untouched
    return m;
  }

  private static long ttlAt(ByteBuf m, int offset) {
    return m.getUnsignedInt(offset);
  }

  @Test
  void aPositiveAnswerLivesForItsSmallestTtlCountingDownWithANewId() {
    UpstreamCache cache = new UpstreamCache(10, 1 << 20);
    cache.put(KEY, response(0, new int[] {30, 10}, -1, 0), 0);
    ByteBuf hit = cache.get(KEY, 0x4321, 4 * SECOND, ByteBufAllocator.DEFAULT);
    assertThat(hit.getUnsignedShort(0)).isEqualTo(0x4321);
    int[] offsets = UpstreamCache.ttlOffsets(bytes(hit))[0];
    assertThat(offsets).hasSize(2); // the OPT record's "TTL" is flags: not counted down
    assertThat(ttlAt(hit, offsets[0])).isEqualTo(26);
    assertThat(ttlAt(hit, offsets[1])).isEqualTo(6);
    assertThat(hit.getUnsignedShort(hit.writerIndex() - 6)).as("OPT flags").isZero();
    hit.release();
    assertThat(cache.get(KEY, 1, 10 * SECOND, ByteBufAllocator.DEFAULT))
        .as("expired at 10 s")
        .isNull();
    assertThat(cache.size()).isZero();
  }

  @Test
  void denialsLiveForTheSmallerOfSoaTtlAndMinimumAndNeedAnSoa() {
    UpstreamCache cache = new UpstreamCache(10, 1 << 20);
    cache.put(KEY, response(3, new int[0], 300, 20), 0); // NXDOMAIN
    assertThat(release(cache.get(KEY, 1, 19 * SECOND, ByteBufAllocator.DEFAULT))).isTrue();
    assertThat(cache.get(KEY, 1, 20 * SECOND, ByteBufAllocator.DEFAULT)).isNull();
    cache.put(KEY, response(0, new int[0], 5, 60), 0); // NODATA
    assertThat(release(cache.get(KEY, 1, 4 * SECOND, ByteBufAllocator.DEFAULT))).isTrue();
    assertThat(cache.get(KEY, 1, 5 * SECOND, ByteBufAllocator.DEFAULT)).isNull();
    cache.put(KEY, response(3, new int[0], -1, 0), 0); // NXDOMAIN without SOA (RFC 2308 5)
    assertThat(cache.size()).isZero();
  }

  @Test
  void failuresTruncationAndZeroTtlsAreNotKept() {
    UpstreamCache cache = new UpstreamCache(10, 1 << 20);
    cache.put(KEY, response(2, new int[0], 30, 30), 0); // SERVFAIL
    cache.put(KEY, response(5, new int[0], 30, 30), 0); // REFUSED
    cache.put(KEY, response(0x0200, new int[] {30}, -1, 0), 0); // TC
    cache.put(KEY, response(0, new int[] {0, 30}, -1, 0), 0); // a TTL of 0
    cache.put(
        KEY, Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}), 0);
    assertThat(cache.size()).isZero();
  }

  @Test
  void boundedByEntriesAndBytesLeastRecentlyUsedFirst() {
    UpstreamCache cache = new UpstreamCache(3, 1 << 20);
    for (int i = 0; i < 3; i++) {
      cache.put(key(i), response(0, new int[] {60}, -1, 0), 0);
    }
    release(cache.get(key(0), 1, 0, ByteBufAllocator.DEFAULT)); // 0 used: 1 is the eldest
    cache.put(key(3), response(0, new int[] {60}, -1, 0), 0);
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.get(key(1), 1, 0, ByteBufAllocator.DEFAULT)).isNull();
    assertThat(release(cache.get(key(0), 1, 0, ByteBufAllocator.DEFAULT))).isTrue();

    int one = response(0, new int[] {60}, -1, 0).readableBytes();
    UpstreamCache small = new UpstreamCache(100, 2 * one);
    for (int i = 0; i < 10; i++) {
      small.put(key(i), response(0, new int[] {60}, -1, 0), 0);
    }
    assertThat(small.size()).isEqualTo(2);
    assertThat(small.bytes()).isLessThanOrEqualTo(2 * one);
  }

  private static UpstreamCache.Key key(int i) {
    return new UpstreamCache.Key("n" + i + ".example.", 1, 1, true);
  }

  private static boolean release(ByteBuf b) {
    return b != null && b.release();
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), out);
    return out;
  }
}
