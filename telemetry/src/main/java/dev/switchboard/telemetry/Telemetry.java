package dev.switchboard.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * One component's OpenTelemetry: tracer and meter providers, and the Prometheus view of the meters
 * that {@code /metrics} serves. Every component (control plane, node agent, cloud-lb) gets one from
 * its {@code Main} and passes it down; nothing here is global, so several components in one JVM
 * (the tests) each keep their own service name and spans.
 *
 * <p>Why autoconfigure with our own defaults: operators configure export with the standard {@code
 * OTEL_*} variables, but the SDK's own default (OTLP to localhost:4318) would log export errors
 * every few seconds on a machine without a collector. So unless an OTLP endpoint is named, traces
 * and metrics are not exported at all (the SDK then records no spans at all: a client's {@code
 * traceparent} passes through HTTP ports unchanged), and metrics are still served at {@code
 * /metrics}.
 */
public final class Telemetry implements AutoCloseable {
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final OpenTelemetry otel;
  private final PrometheusReader prometheus;
  private final AutoCloseable sdk;
  private final boolean tracing;

  private Telemetry(
      OpenTelemetry otel, PrometheusReader prometheus, AutoCloseable sdk, boolean tracing) {
    this.otel = otel;
    this.prometheus = prometheus;
    this.sdk = sdk;
    this.tracing = tracing;
  }

  /** No spans, no metrics: for callers (tests, tools) that do not care. */
  public static Telemetry disabled() {
    return new Telemetry(OpenTelemetry.noop(), null, () -> {}, false);
  }

  /**
   * From the process environment ({@code OTEL_*} variables); see {@link #configure}. For a
   * component's process: also sends java.util.logging (where the OpenTelemetry SDK logs, e.g. an
   * export that failed) to SLF4J, so that it lands in the component's log rather than on stderr.
   */
  public static Telemetry fromEnvironment(String serviceName) {
    routeJulToSlf4j();
    return configure(serviceName, System.getenv());
  }

  static synchronized void routeJulToSlf4j() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * An SDK configured from {@code env} (variables such as {@code OTEL_EXPORTER_OTLP_ENDPOINT},
   * {@code OTEL_EXPORTER_OTLP_PROTOCOL}, {@code OTEL_SERVICE_NAME}, {@code OTEL_TRACES_SAMPLER}),
   * with {@code serviceName} unless {@code OTEL_SERVICE_NAME} says otherwise. The real process
   * environment and system properties still win over {@code env}.
   */
  public static Telemetry configure(String serviceName, Map<String, String> env) {
    PrometheusReader reader = new PrometheusReader();
    Map<String, String> properties = new HashMap<>();
    properties.put("otel.service.name", serviceName);
    boolean endpoint =
        env.keySet().stream()
            .anyMatch(k -> k.startsWith("OTEL_EXPORTER_OTLP_") && k.endsWith("ENDPOINT"));
    if (!endpoint) {
      // Nothing to send to: no exporter, no connection errors in the logs.
      properties.put("otel.traces.exporter", "none");
      properties.put("otel.metrics.exporter", "none");
    }
    properties.put("otel.logs.exporter", "none"); // logs go to the log files, not to OTLP
    env.forEach(
        (k, v) -> {
          if (k.startsWith("OTEL_")) {
            properties.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
          }
        });
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> properties)
            .addMeterProviderCustomizer((b, c) -> b.registerMetricReader(reader))
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    return new Telemetry(sdk, reader, sdk, tracesExported(properties));
  }

  /**
   * For tests: every span goes to {@code spans} as it ends (an in-memory exporter), metrics to
   * {@code /metrics} only.
   */
  public static Telemetry forTesting(String serviceName, SpanExporter spans) {
    PrometheusReader reader = new PrometheusReader();
    Resource resource =
        Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, serviceName)));
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .setResource(resource)
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setMeterProvider(
                SdkMeterProvider.builder()
                    .setResource(resource)
                    .registerMetricReader(reader)
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    // Closing must not shut the shared test exporter down: only the providers are closed.
    return new Telemetry(
        sdk,
        reader,
        () -> {
          sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
          sdk.getSdkMeterProvider().close();
        },
        true);
  }

  /**
   * Whether spans go anywhere: a trace exporter is configured and the SDK is not disabled. System
   * properties win over the environment, as in the SDK's own autoconfiguration.
   */
  private static boolean tracesExported(Map<String, String> properties) {
    String disabled =
        System.getProperty(
            "otel.sdk.disabled", properties.getOrDefault("otel.sdk.disabled", "false"));
    String exporter =
        System.getProperty(
            "otel.traces.exporter", properties.getOrDefault("otel.traces.exporter", "otlp"));
    return !Boolean.parseBoolean(disabled.trim()) && !exporter.trim().equals("none");
  }

  /**
   * False when no span is exported (no trace exporter configured, or {@link #disabled()}): callers
   * skip building spans whose only use would be export, which is most of a span's cost.
   */
  public boolean tracing() {
    return tracing;
  }

  /** False for {@link #disabled()}: callers may skip work whose only use is telemetry. */
  public boolean enabled() {
    return prometheus != null;
  }

  public OpenTelemetry openTelemetry() {
    return otel;
  }

  public Tracer tracer(String scope) {
    return otel.getTracer(scope);
  }

  public Meter meter(String scope) {
    return otel.getMeter(scope);
  }

  /** The metrics in Prometheus text format (0.0.4); empty when disabled. */
  public String scrape() {
    return prometheus == null ? "" : prometheus.scrape();
  }

  /** Flushes what is buffered (bounded) and stops the SDK. */
  @Override
  public void close() {
    try {
      sdk.close();
    } catch (Exception e) {
      // closing telemetry must never fail a shutdown
    }
  }
}
