package dev.switchboard.controlplane.alloc;

import java.util.OptionalLong;

/**
 * IPv4 addresses as unsigned 32-bit values held in a {@code long}.
 *
 * <p>Parsing is strict (four decimal parts, no leading zeros), as Kubernetes' current IP validation
 * is: "010.0.0.1" means 8.0.0.1 to some parsers and 10.0.0.1 to others, so it is refused rather
 * than guessed.
 */
public final class Ipv4 {
  /** The number of IPv4 addresses, 2^32. */
  public static final long ADDRESS_SPACE = 1L << 32;

  private Ipv4() {}

  /** The address, or empty when {@code text} is not a strict dotted-quad IPv4 address. */
  public static OptionalLong parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 15) {
      return OptionalLong.empty();
    }
    long value = 0;
    int parts = 0;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i < text.length() && text.charAt(i) != '.') {
        char c = text.charAt(i);
        if (c < '0' || c > '9') {
          return OptionalLong.empty();
        }
        continue;
      }
      int len = i - start;
      if (len == 0 || len > 3 || (len > 1 && text.charAt(start) == '0')) {
        return OptionalLong.empty();
      }
      int part = Integer.parseInt(text, start, i, 10);
      if (part > 255) {
        return OptionalLong.empty();
      }
      value = (value << 8) | part;
      parts++;
      start = i + 1;
    }
    return parts == 4 ? OptionalLong.of(value) : OptionalLong.empty();
  }

  /**
   * The address, or an {@link IllegalArgumentException} naming {@code argName}; an IPv6 literal is
   * refused as such so that the operator learns why.
   */
  public static long parseOrThrow(String text, String argName) {
    OptionalLong parsed = parse(text);
    if (parsed.isPresent()) {
      return parsed.getAsLong();
    }
    if (isIpv6Literal(text)) {
      throw new IllegalArgumentException(
          argName + ": \"" + text + "\" (expected: an IPv4 address; IPv6 is not supported)");
    }
    throw new IllegalArgumentException(
        argName + ": \"" + text + "\" (expected: an IPv4 address such as 10.96.0.1)");
  }

  /** Whether {@code text} looks like an IPv6 address (contains a colon). */
  public static boolean isIpv6Literal(String text) {
    return text != null && text.indexOf(':') >= 0;
  }

  /** Dotted-quad form of an address in [0, 2^32). */
  public static String format(long address) {
    if (address < 0 || address >= ADDRESS_SPACE) {
      throw new IllegalArgumentException(
          "address: " + address + " (expected: 0.." + (ADDRESS_SPACE - 1) + ")");
    }
    return ((address >>> 24) & 0xff)
        + "."
        + ((address >>> 16) & 0xff)
        + "."
        + ((address >>> 8) & 0xff)
        + "."
        + (address & 0xff);
  }
}
