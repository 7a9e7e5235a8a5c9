package dev.switchboard.lb.balancer;

/**
 * A seeded 64-bit hash with fixed, written-down arithmetic (FNV-1a over the bytes, then
 * MurmurHash3's 64-bit finaliser), so that every load balancer replica, on any JVM, computes the
 * same value for the same node name or client address. {@code String.hashCode} or identity hashes
 * would not be stable.
 */
final class Hash64 {
  /** Seeds of the Maglev offset, Maglev skip and client key hashes: fixed forever. */
  static final long OFFSET_SEED = 0x4d61676c65764f66L; // "MaglevOf"

  static final long SKIP_SEED = 0x4d61676c6576536bL; // "MaglevSk"
  static final long CLIENT_SEED = 0x436c69656e744970L; // "ClientIp"

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Hash64() {}

  static long hash(byte[] data, long seed) {
    long h = FNV_OFFSET ^ fmix(seed);
    for (byte b : data) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return fmix(h ^ data.length);
  }

  /** MurmurHash3's finaliser: every input bit affects every output bit. */
  static long fmix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
