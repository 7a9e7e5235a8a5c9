package dev.switchboard.lb.balancer;

import dev.switchboard.v1.Annotations;
import dev.switchboard.v1.Service;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A service's {@code loadBalancerSourceRanges}: the client networks allowed in. Empty means
 * everyone, as in Kubernetes. Immutable.
 */
public final class SourceRanges {
  public static final SourceRanges ALL = new SourceRanges(List.of(), List.of());

  private final List<String> text;
  private final List<byte[]> networks;
  private final List<Integer> prefixes;

  private SourceRanges(List<String> text, List<Cidr> cidrs) {
    this.text = List.copyOf(text);
    this.networks = cidrs.stream().map(Cidr::network).toList();
    this.prefixes = cidrs.stream().map(Cidr::prefix).toList();
  }

  private record Cidr(byte[] network, int prefix) {}

  /**
   * Parses CIDRs such as {@code 127.0.30.0/24} or {@code ::1/128}; host bits are ignored, as
   * Kubernetes does. Throws {@link IllegalArgumentException} naming the entry.
   */
  public static SourceRanges parse(List<String> ranges) {
    return parse(ranges, i -> "spec.loadBalancerSourceRanges[" + i + "]");
  }

  /**
   * The ranges a LoadBalancer service allows: {@code spec.loadBalancerSourceRanges}, or, when that
   * is empty, the deprecated annotation {@value Annotations#LOAD_BALANCER_SOURCE_RANGES}, as
   * Kubernetes' cloud providers read them; ignoring the annotation would serve to everyone a
   * service its manifest restricts. Throws {@link IllegalArgumentException} naming the field (the
   * annotation's path for its entries).
   */
  public static SourceRanges of(Service service) {
    List<String> spec = service.getSpec().getLoadBalancerSourceRangesList();
    String annotation =
        service.getMetadata().getAnnotationsMap().get(Annotations.LOAD_BALANCER_SOURCE_RANGES);
    if (!spec.isEmpty() || annotation == null) {
      return parse(spec);
    }
    String field = "metadata.annotations[" + Annotations.LOAD_BALANCER_SOURCE_RANGES + "]";
    return parse(Annotations.sourceRanges(annotation), i -> field);
  }

  private static SourceRanges parse(List<String> ranges, IntFunction<String> field) {
    if (ranges.isEmpty()) {
      return ALL;
    }
    List<Cidr> cidrs = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      cidrs.add(parseOne(ranges.get(i).trim(), field.apply(i)));
    }
    return new SourceRanges(ranges, cidrs);
  }

  private static Cidr parseOne(String cidr, String field) {
    int slash = cidr.indexOf('/');
    String expected = " (expected: a CIDR such as 10.0.0.0/8)";
    if (slash <= 0 || !isIpLiteral(cidr.substring(0, slash))) {
      throw new IllegalArgumentException(field + ": " + cidr + expected);
    }
    byte[] network;
    int prefix;
    try {
      network =
          InetAddress.getByName(cidr.substring(0, slash)).getAddress(); // a literal: no lookup
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (UnknownHostException | NumberFormatException e) {
      throw new IllegalArgumentException(field + ": " + cidr + expected);
    }
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException(
          field + ": " + cidr + " (expected: a prefix length 0-" + network.length * 8 + ")");
    }
    return new Cidr(network, prefix);
  }

  /** Digits, dots, hex and colons only: never a host name that would be resolved. */
  private static boolean isIpLiteral(String s) {
    return !s.isEmpty()
        && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
  }

  /** Whether a client with this address may connect. Any thread. */
  public boolean allows(InetAddress client) {
    if (networks.isEmpty()) {
      return true;
    }
    byte[] address = client.getAddress();
    for (int i = 0; i < networks.size(); i++) {
      if (matches(networks.get(i), prefixes.get(i), address)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(byte[] network, int prefix, byte[] address) {
    if (network.length != address.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (network[i] != address[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (network[full] & mask) == (address[full] & mask);
  }

  public boolean isAll() {
    return networks.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SourceRanges other && text.equals(other.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return networks.isEmpty() ? "all" : String.join(",", text);
  }
}
