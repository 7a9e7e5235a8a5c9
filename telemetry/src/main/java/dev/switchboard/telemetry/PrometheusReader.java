package dev.switchboard.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pull {@link MetricReader} that renders the SDK's metrics in Prometheus text format. Why our
 * own: OpenTelemetry's Prometheus exporter is not served to this build (see toolchain.md), and
 * recording every metric twice (OTel for OTLP, Prometheus for /metrics) would let the two drift.
 * One set of OTel instruments feeds both: OTLP through the SDK's periodic reader, {@code /metrics}
 * through this one, rendered by the Prometheus client's own writer so the format is right.
 *
 * <p>Naming: dots become underscores; unit {@code s} adds {@code _seconds}, {@code By} adds {@code
 * _bytes}; monotonic sums become counters ({@code _total} added by the writer), other sums and
 * gauges become gauges, explicit-bucket histograms classic histograms.
 */
final class PrometheusReader implements MetricReader {
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private volatile CollectionRegistration registration = CollectionRegistration.noop();

  @Override
  public void register(CollectionRegistration registration) {
    this.registration = registration;
  }

  @Override
  public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
    return AggregationTemporality.CUMULATIVE;
  }

  @Override
  public CompletableResultCode forceFlush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    registration = CollectionRegistration.noop();
    return CompletableResultCode.ofSuccess();
  }

  /** Collects now and renders. */
  String scrape() {
    MetricSnapshots snapshots = convert(registration.collectAllMetrics());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writer.write(out, snapshots, EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static MetricSnapshots convert(Collection<MetricData> metrics) {
    // Same name from two scopes would be two families with one name: merge by name, first wins.
    Map<String, MetricSnapshot> byName = new TreeMap<>();
    for (MetricData m : metrics) {
      MetricSnapshot s = convert(m);
      if (s != null) {
        byName.putIfAbsent(s.getMetadata().getPrometheusName(), s);
      }
    }
    return new MetricSnapshots(byName.values());
  }

  private static MetricSnapshot convert(MetricData m) {
    String name = name(m.getName(), m.getUnit());
    String help = m.getDescription().isEmpty() ? m.getName() : m.getDescription();
    switch (m.getType()) {
      case LONG_SUM, DOUBLE_SUM -> {
        boolean counter =
            m.getType() == io.opentelemetry.sdk.metrics.data.MetricDataType.LONG_SUM
                ? m.getLongSumData().isMonotonic()
                : m.getDoubleSumData().isMonotonic();
        Collection<? extends PointData> points = m.getData().getPoints();
        if (counter) {
          String base = name.endsWith("_total") ? name.substring(0, name.length() - 6) : name;
          List<CounterSnapshot.CounterDataPointSnapshot> out = new ArrayList<>();
          points.forEach(
              p ->
                  out.add(
                      new CounterSnapshot.CounterDataPointSnapshot(
                          value(p), labels(p.getAttributes()), null, 0)));
          return new CounterSnapshot(new MetricMetadata(base, help), out);
        }
        return gauge(name, help, points);
      }
      case LONG_GAUGE, DOUBLE_GAUGE -> {
        return gauge(name, help, m.getData().getPoints());
      }
      case HISTOGRAM -> {
        List<HistogramSnapshot.HistogramDataPointSnapshot> out = new ArrayList<>();
        for (HistogramPointData p : m.getHistogramData().getPoints()) {
          List<Double> bounds = new ArrayList<>(p.getBoundaries());
          bounds.add(Double.POSITIVE_INFINITY);
          out.add(
              new HistogramSnapshot.HistogramDataPointSnapshot(
                  ClassicHistogramBuckets.of(bounds, p.getCounts()),
                  p.getSum(),
                  labels(p.getAttributes()),
                  null,
                  0));
        }
        return new HistogramSnapshot(new MetricMetadata(name, help), out);
      }
      default -> {
        return null; // exponential histograms and summaries: none of ours
      }
    }
  }

  private static GaugeSnapshot gauge(
      String name, String help, Collection<? extends PointData> points) {
    List<GaugeSnapshot.GaugeDataPointSnapshot> out = new ArrayList<>();
    points.forEach(
        p ->
            out.add(
                new GaugeSnapshot.GaugeDataPointSnapshot(
                    value(p), labels(p.getAttributes()), null)));
    return new GaugeSnapshot(new MetricMetadata(name, help), out);
  }

  private static double value(PointData p) {
    if (p instanceof LongPointData l) {
      return l.getValue();
    }
    return ((DoublePointData) p).getValue();
  }

  static String name(String otelName, String unit) {
    String n = sanitize(otelName);
    String suffix =
        switch (unit == null ? "" : unit) {
          case "s" -> "_seconds";
          case "ms" -> "_milliseconds";
          case "By" -> "_bytes";
          default -> "";
        };
    return n.endsWith(suffix) ? n : n + suffix;
  }

  private static Labels labels(Attributes attributes) {
    if (attributes.isEmpty()) {
      return Labels.EMPTY;
    }
    Map<String, String> sorted = new TreeMap<>();
    attributes.forEach((k, v) -> sorted.put(sanitize(k.getKey()), String.valueOf(v)));
    return Labels.of(new ArrayList<>(sorted.keySet()), new ArrayList<>(sorted.values()));
  }

  private static String sanitize(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (i > 0 && c >= '0' && c <= '9');
      b.append(ok ? c : '_');
    }
    return b.toString();
  }
}
