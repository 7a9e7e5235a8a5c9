package dev.switchboard.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryTest {

  @Test
  void withoutAnEndpointNothingIsExportedButMetricsAreServed() {
    try (Telemetry t = Telemetry.configure("test-service", Map.of())) {
      assertThat(t.enabled()).isTrue();
      t.meter("test")
          .counterBuilder("switchboard.things")
          .setDescription("things")
          .build()
          .add(3, Attributes.of(AttributeKey.stringKey("kind"), "a.b"));
      t.meter("test")
          .histogramBuilder("switchboard.wait")
          .setUnit("s")
          .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0))
          .build()
          .record(0.5);
      t.meter("test").upDownCounterBuilder("switchboard.open").build().add(2);
      String text = t.scrape();
      assertThat(text)
          .contains(
              "# TYPE switchboard_things_total counter",
              "switchboard_things_total{kind=\"a.b\"} 3.0",
              "# TYPE switchboard_wait_seconds histogram",
              "switchboard_wait_seconds_bucket{le=\"0.1\"} 0",
              "switchboard_wait_seconds_bucket{le=\"1.0\"} 1",
              "switchboard_wait_seconds_bucket{le=\"+Inf\"} 1",
              "switchboard_wait_seconds_count 1",
              "# TYPE switchboard_open gauge",
              "switchboard_open 2.0");
      // Nothing would export spans: the SDK does not even record them.
      Span span = t.tracer("test").spanBuilder("x").startSpan();
      assertThat(span.getSpanContext().isValid()).isFalse();
      span.end();
    }
  }

  @Test
  void aComponentsTelemetrySendsTheSdksJavaUtilLoggingToItsOwnLog() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen =
        new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    root.addAppender(seen);
    try (Telemetry t = Telemetry.fromEnvironment("test-service")) {
      java.util.logging.Logger.getLogger("io.opentelemetry.exporter.test").warning("export failed");
      assertThat(seen.list)
          .anySatisfy(
              e -> {
                assertThat(e.getLoggerName()).isEqualTo("io.opentelemetry.exporter.test");
                assertThat(e.getFormattedMessage()).isEqualTo("export failed");
              });
    } finally {
      root.detachAppender(seen);
    }
  }

  @Test
  void disabledIsNoopAndServesNothing() {
    Telemetry t = Telemetry.disabled();
    assertThat(t.enabled()).isFalse();
    assertThat(t.scrape()).isEmpty();
    assertThat(t.tracer("x").spanBuilder("y").startSpan().getSpanContext().isValid()).isFalse();
  }

  @Test
  void traceContextsRoundTripAsW3cMaps() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (Telemetry t = Telemetry.forTesting("svc", spans)) {
      Span span = t.tracer("x").spanBuilder("parent").startSpan();
      Map<String, String> carrier = TraceContexts.inject(Context.root().with(span));
      assertThat(carrier.get("traceparent"))
          .isEqualTo(
              "00-"
                  + span.getSpanContext().getTraceId()
                  + "-"
                  + span.getSpanContext().getSpanId()
                  + "-"
                  + span.getSpanContext().getTraceFlags().asHex());
      Span child =
          t.tracer("x").spanBuilder("child").setParent(TraceContexts.extract(carrier)).startSpan();
      assertThat(child.getSpanContext().getTraceId()).isEqualTo(span.getSpanContext().getTraceId());
      child.end();
      span.end();
      assertThat(TraceContexts.extract(Map.of())).isEqualTo(Context.root());
    }
  }
}
