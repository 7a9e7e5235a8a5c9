package dev.switchboard.discovery.client;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * IP address literals from the Discovery stream (ClusterIPs, endpoint and node addresses, ingress
 * IPs), parsed without ever resolving a name: a subscriber must not block its control thread on DNS
 * because of what the control plane sent.
 */
public final class IpLiterals {
  private static final Pattern IPV4 =
      Pattern.compile(
          "^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}$");
  private static final Pattern IPV6 = Pattern.compile("^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$");

  private IpLiterals() {}

  /** The address, or empty when {@code text} is not an IPv4 or IPv6 literal. */
  public static Optional<InetAddress> parse(String text) {
    if (text == null || !(IPV4.matcher(text).matches() || IPV6.matcher(text).matches())) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(text)); // a literal: no lookup happens
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** The address, or empty when {@code text} is not a dotted-quad IPv4 literal. */
  public static Optional<InetAddress> ipv4(String text) {
    return text != null && IPV4.matcher(text).matches()
        ? parse(text).filter(a -> a instanceof Inet4Address)
        : Optional.empty();
  }
}
