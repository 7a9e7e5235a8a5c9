package dev.switchboard.controlplane.endpoints;

import java.util.Comparator;

/** One {@code key=value} of a label set or selector; the unit of the inverted indexes. */
record LabelPair(String key, String value) implements Comparable<LabelPair> {

  private static final Comparator<LabelPair> ORDER =
      Comparator.comparing(LabelPair::key).thenComparing(LabelPair::value);

  @Override
  public int compareTo(LabelPair other) {
    return ORDER.compare(this, other);
  }

  @Override
  public String toString() {
    return key + "=" + value;
  }
}
