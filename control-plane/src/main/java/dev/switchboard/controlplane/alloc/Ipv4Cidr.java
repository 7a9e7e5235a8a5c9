package dev.switchboard.controlplane.alloc;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * An IPv4 network in CIDR notation, e.g. {@code 10.96.0.0/12}: the block of addresses that share
 * the first {@code prefixLength} bits with {@code network}.
 *
 * <p>Only the canonical form is accepted (no bits set after the prefix): "10.96.0.1/12" could mean
 * the network 10.96.0.0/12 or the single address, and an allocator must not guess.
 *
 * @param network the first address of the block, as an unsigned 32-bit value
 * @param prefixLength 0..32
 */
public record Ipv4Cidr(long network, int prefixLength) {

  public Ipv4Cidr {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0..32)");
    }
    if (network < 0 || network >= Ipv4.ADDRESS_SPACE) {
      throw new IllegalArgumentException(
          "network: " + network + " (expected: 0.." + (Ipv4.ADDRESS_SPACE - 1) + ")");
    }
    if ((network & hostMask(prefixLength)) != 0) {
      throw new IllegalArgumentException(
          "network: "
              + Ipv4.format(network)
              + "/"
              + prefixLength
              + " (expected: no bits set after the prefix length, i.e. "
              + Ipv4.format(network & ~hostMask(prefixLength))
              + "/"
              + prefixLength
              + ")");
    }
  }

  /**
   * Parses {@code a.b.c.d/n}. Refuses IPv6, a missing or out-of-range prefix, and non-canonical
   * forms, each with a message that says what was expected.
   */
  public static Ipv4Cidr parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "cidr: \"" + text + "\" (expected: an IPv4 CIDR such as 10.96.0.0/12)");
    }
    if (Ipv4.isIpv6Literal(text)) {
      throw new IllegalArgumentException(
          "cidr: \"" + text + "\" (expected: an IPv4 CIDR; IPv6 is not supported)");
    }
    int slash = text.indexOf('/');
    OptionalLong ip = slash < 0 ? OptionalLong.empty() : Ipv4.parse(text.substring(0, slash));
    int prefix = slash < 0 ? -1 : parsePrefix(text.substring(slash + 1));
    if (ip.isEmpty() || prefix < 0) {
      throw new IllegalArgumentException(
          "cidr: \"" + text + "\" (expected: an IPv4 CIDR such as 10.96.0.0/12)");
    }
    long network = ip.getAsLong() & ~hostMask(prefix);
    if (network != ip.getAsLong()) {
      throw new IllegalArgumentException(
          "cidr: \""
              + text
              + "\" (expected: no bits set after the prefix length, i.e. "
              + Ipv4.format(network)
              + "/"
              + prefix
              + ")");
    }
    return new Ipv4Cidr(network, prefix);
  }

  /**
   * The canonical form of a CIDR that may have host bits set ("10.0.0.1/24" → "10.0.0.0/24"), or
   * empty when {@code text} is not an IPv4 CIDR at all. For validation messages.
   */
  public static Optional<String> canonicalForm(String text) {
    if (text == null) {
      return Optional.empty();
    }
    int slash = text.indexOf('/');
    if (slash < 0) {
      return Optional.empty();
    }
    OptionalLong ip = Ipv4.parse(text.substring(0, slash));
    int prefix = parsePrefix(text.substring(slash + 1));
    if (ip.isEmpty() || prefix < 0) {
      return Optional.empty();
    }
    return Optional.of(Ipv4.format(ip.getAsLong() & ~hostMask(prefix)) + "/" + prefix);
  }

  private static int parsePrefix(String text) {
    if (text.isEmpty() || text.length() > 2 || (text.length() > 1 && text.charAt(0) == '0')) {
      return -1;
    }
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return -1;
      }
    }
    int prefix = Integer.parseInt(text);
    return prefix <= 32 ? prefix : -1;
  }

  private static long hostMask(int prefixLength) {
    return (1L << (32 - prefixLength)) - 1;
  }

  /** The number of addresses in the block, network and broadcast included. */
  public long size() {
    return 1L << (32 - prefixLength);
  }

  /** The last address of the block (the broadcast address for prefixes up to /30). */
  public long last() {
    return network + size() - 1;
  }

  public boolean contains(long address) {
    return address >= network && address <= last();
  }

  /** Whether {@code ip} is an IPv4 address inside the block; false for anything unparseable. */
  public boolean contains(String ip) {
    OptionalLong parsed = Ipv4.parse(ip);
    return parsed.isPresent() && contains(parsed.getAsLong());
  }

  /** The address {@code offset} places after the network address. */
  public long addressAt(long offset) {
    if (offset < 0 || offset >= size()) {
      throw new IllegalArgumentException(
          "offset: " + offset + " (expected: 0.." + (size() - 1) + ")");
    }
    return network + offset;
  }

  /** {@link #addressAt(long)} in dotted-quad form. */
  public String addressStringAt(long offset) {
    return Ipv4.format(addressAt(offset));
  }

  /** How far {@code address} lies after the network address. */
  public long offsetOf(long address) {
    if (!contains(address)) {
      throw new IllegalArgumentException(
          "address: " + Ipv4.format(address) + " (expected: inside " + this + ")");
    }
    return address - network;
  }

  /** {@link #offsetOf(long)} for a dotted-quad address. */
  public long offsetOf(String ip) {
    return offsetOf(Ipv4.parseOrThrow(ip, "ip"));
  }

  @Override
  public String toString() {
    return Ipv4.format(network) + "/" + prefixLength;
  }
}
