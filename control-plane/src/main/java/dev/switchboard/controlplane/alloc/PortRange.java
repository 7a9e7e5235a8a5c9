package dev.switchboard.controlplane.alloc;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * The NodePort range, 30000-32767 by default, as Kubernetes' {@code --service-node-port-range}.
 *
 * <p>The static band at the low end, {@code min(max(16, size/32), 128)} ports (Kubernetes' formula,
 * 30000-30085 for the default range), is for ports users request by hand; automatic picks come from
 * above it while there is room.
 */
public final class PortRange {
  /** Kubernetes' default NodePort range. */
  public static final PortRange DEFAULT = new PortRange(30000, 32767);

  private final int first;
  private final int last;

  public PortRange(int first, int last) {
    if (first < 1 || first > 65535) {
      throw new IllegalArgumentException("first: " + first + " (expected: 1..65535)");
    }
    if (last < first || last > 65535) {
      throw new IllegalArgumentException("last: " + last + " (expected: " + first + "..65535)");
    }
    this.first = first;
    this.last = last;
  }

  /** Parses "30000-32767" or a single port "30000". */
  public static PortRange parse(String text) {
    String t = text == null ? "" : text.trim();
    int dash = t.indexOf('-');
    try {
      if (dash < 0) {
        int port = Integer.parseInt(t);
        return new PortRange(port, port);
      }
      return new PortRange(
          Integer.parseInt(t.substring(0, dash).trim()),
          Integer.parseInt(t.substring(dash + 1).trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "portRange: \"" + text + "\" (expected: FIRST-LAST such as 30000-32767)", e);
    }
  }

  public int first() {
    return first;
  }

  public int last() {
    return last;
  }

  public int size() {
    return last - first + 1;
  }

  /** The number of ports in the static band (0 for ranges of 16 ports or fewer). */
  public int staticBandSize() {
    return (int) BandPicker.staticBandSize(size(), 16, 32, 128);
  }

  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  public boolean isInStaticBand(int port) {
    return contains(port) && port < first + staticBandSize();
  }

  /**
   * A free port: from the dynamic band while it has room, else from the static band; empty when
   * every port of the range is used.
   */
  public OptionalInt pick(IntPredicate isUsed, Random random) {
    OptionalLong port =
        BandPicker.pick(first, first + staticBandSize(), last, p -> isUsed.test((int) p), random);
    return port.isPresent() ? OptionalInt.of((int) port.getAsLong()) : OptionalInt.empty();
  }

  /** "30000-32767", the form Kubernetes prints in "The range of valid ports is ...". */
  @Override
  public String toString() {
    return first + "-" + last;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PortRange other && other.first == first && other.last == last;
  }

  @Override
  public int hashCode() {
    return first * 65536 + last;
  }
}
