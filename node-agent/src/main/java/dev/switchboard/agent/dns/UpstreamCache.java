package dev.switchboard.agent.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Upstream answers kept for their TTL, so that a pod asking the same outside name again (every HTTP
 * client does) costs no round trip. Bounded twice: at most {@value #DEFAULT_MAX_ENTRIES} answers
 * and {@value #DEFAULT_MAX_BYTES} bytes, least recently used first out. TTLs are capped (CoreDNS's
 * cache: {@value #MAX_TTL} s, {@value #MAX_NEGATIVE_TTL} s for denials) and count down: an answer
 * served from here carries what is left of each record's TTL.
 *
 * <p>Kept: NOERROR with answers (TTL: the smallest of its records but OPT); NXDOMAIN and NODATA
 * (NOERROR without answers) for RFC 2308's negative TTL, the smaller of the authority SOA's TTL and
 * its MINIMUM field, and not at all without an SOA (RFC 2308 5). Never kept: other codes, truncated
 * answers, a TTL of 0, anything that does not parse. The message is walked once, when it is stored,
 * for the offsets of its TTLs; a hit copies the bytes and rewrites those.
 *
 * <p>Confined to the DNS event loop.
 */
final class UpstreamCache {
  static final int DEFAULT_MAX_ENTRIES = 4096;
  static final int DEFAULT_MAX_BYTES = 4 << 20;
  static final int MAX_TTL = 3600;
  static final int MAX_NEGATIVE_TTL = 1800;
  private static final int HEADER = 12;
  private static final int OPT = 41;
  private static final int SOA = 6;

  /** A question as the cache tells them apart; {@code edns}: the client sent an OPT record. */
  record Key(String name, int type, int dnsClass, boolean edns) {}

  private record Entry(
      byte[] message, int[] ttlOffsets, int[] ttls, long storedNanos, long expiresNanos) {}

  private final int maxEntries;
  private final int maxBytes;
  private int bytes;
  private long hits;
  private long misses;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);

  UpstreamCache(int maxEntries, int maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /**
   * The cached answer to {@code key} with id {@code id} and the TTLs as they stand at {@code
   * nowNanos}, or null. The caller releases it.
   */
  ByteBuf get(Key key, int id, long nowNanos, ByteBufAllocator alloc) {
    Entry e = entries.get(key);
    if (e == null || nowNanos - e.expiresNanos() >= 0) {
      if (e != null) {
        remove(key, e);
      }
      misses++;
      return null;
    }
    hits++;
    long elapsed = (nowNanos - e.storedNanos()) / 1_000_000_000L;
    ByteBuf out = alloc.buffer(e.message().length).writeBytes(e.message());
    out.setShort(0, id);
    for (int i = 0; i < e.ttlOffsets().length; i++) {
      out.setInt(e.ttlOffsets()[i], (int) Math.max(0, e.ttls()[i] - elapsed));
    }
    return out;
  }

  /** Keeps {@code response} (not consumed) for {@code key} when it may be kept. */
  void put(Key key, ByteBuf response, long nowNanos) {
    byte[] message = new byte[response.readableBytes()];
    response.getBytes(response.readerIndex(), message);
    long ttl;
    int[][] offsets;
    try {
      offsets = ttlOffsets(message);
      ttl = cacheTtl(message, offsets[0]);
    } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
      return; // does not parse: passed on, never kept
    }
    if (ttl <= 0 || message.length > maxBytes) {
      return;
    }
    Entry old = entries.remove(key);
    if (old != null) {
      bytes -= old.message().length;
    }
    message[0] = 0;
    message[1] = 0;
    entries.put(
        key, new Entry(message, offsets[0], offsets[1], nowNanos, nowNanos + ttl * 1_000_000_000L));
    bytes += message.length;
    var it = entries.entrySet().iterator();
    while ((entries.size() > maxEntries || bytes > maxBytes) && it.hasNext()) {
      Map.Entry<Key, Entry> eldest = it.next();
      bytes -= eldest.getValue().message().length;
      it.remove();
    }
  }

  private void remove(Key key, Entry e) {
    entries.remove(key);
    bytes -= e.message().length;
  }

  int size() {
    return entries.size();
  }

  int bytes() {
    return bytes;
  }

  long hits() {
    return hits;
  }

  long misses() {
    return misses;
  }

  /**
   * How long {@code m} may be kept (seconds, capped), 0 for never. {@code ttlOffsets} are its
   * records' TTL fields (OPT excluded), in order.
   */
  private static long cacheTtl(byte[] m, int[] ttlOffsets) {
    int flags = (m[2] & 0xff) << 8 | (m[3] & 0xff);
    int rcode = flags & 0xf;
    boolean truncated = (flags & 0x0200) != 0;
    if ((flags & 0x8000) == 0 || truncated || (rcode != 0 && rcode != 3)) {
      return 0;
    }
    int answers = u16(m, 6);
    if (rcode == 0 && answers > 0) {
      long min = MAX_TTL;
      for (int off : ttlOffsets) {
        min = Math.min(min, u32(m, off));
      }
      return min;
    }
    // NXDOMAIN or NODATA: the authority's SOA (RFC 2308 3, 5)
    long min = -1;
    int at = skipQuestions(m);
    int records = answers + u16(m, 8);
    for (int i = 0; i < records; i++) {
      int typeAt = skipName(m, at);
      int rdlength = u16(m, typeAt + 8);
      int rdata = typeAt + 10;
      if (i >= answers && u16(m, typeAt) == SOA) {
        long minimum = u32(m, rdata + rdlength - 4);
        long soa = Math.min(u32(m, typeAt + 4), minimum);
        min = min < 0 ? soa : Math.min(min, soa);
      }
      at = rdata + rdlength;
    }
    return min < 0 ? 0 : Math.min(min, MAX_NEGATIVE_TTL);
  }

  /** [TTL offsets, TTLs] of every record but OPT, in the three sections. */
  static int[][] ttlOffsets(byte[] m) {
    int records = u16(m, 6) + u16(m, 8) + u16(m, 10);
    int[] offsets = new int[records];
    int[] ttls = new int[records];
    int n = 0;
    int at = skipQuestions(m);
    for (int i = 0; i < records; i++) {
      int typeAt = skipName(m, at);
      int rdlength = u16(m, typeAt + 8);
      if (typeAt + 10 + rdlength > m.length) {
        throw new IllegalArgumentException("record past the end");
      }
      if (u16(m, typeAt) != OPT) {
        offsets[n] = typeAt + 4;
        ttls[n++] = (int) Math.min(u32(m, typeAt + 4), Integer.MAX_VALUE);
      }
      at = typeAt + 10 + rdlength;
    }
    return new int[][] {java.util.Arrays.copyOf(offsets, n), java.util.Arrays.copyOf(ttls, n)};
  }

  /** The offset after the question section. */
  static int skipQuestions(byte[] m) {
    int at = HEADER;
    for (int q = u16(m, 4); q > 0; q--) {
      at = skipName(m, at) + 4;
    }
    return at;
  }

  /** The offset after the name at {@code at} (labels, ending in a root label or a pointer). */
  private static int skipName(byte[] m, int at) {
    while (true) {
      int len = m[at] & 0xff;
      if ((len & 0xc0) == 0xc0) {
        return at + 2;
      }
      if ((len & 0xc0) != 0) {
        throw new IllegalArgumentException("label type at " + at);
      }
      at += len + 1;
      if (len == 0) {
        return at;
      }
    }
  }

  private static int u16(byte[] m, int at) {
    return (m[at] & 0xff) << 8 | (m[at + 1] & 0xff);
  }

  private static long u32(byte[] m, int at) {
    return ((long) u16(m, at) << 16) | u16(m, at + 2);
  }
}
