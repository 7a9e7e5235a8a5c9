package dev.switchboard.bench.scale;

import java.util.Arrays;
import java.util.Locale;

/** Percentiles (nearest rank) of a sample; negative values (no data) are left out. */
record Stats(int count, double p50, double p99, double max) {
  static Stats of(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> x >= 0).sorted().toArray();
    if (v.length == 0) {
      return new Stats(0, Double.NaN, Double.NaN, Double.NaN);
    }
    return new Stats(v.length, rank(v, 0.50), rank(v, 0.99), v[v.length - 1]);
  }

  private static double rank(double[] sorted, double q) {
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  String millis() {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", p50, p99, max);
  }
}
