package dev.switchboard.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.ServiceTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection metrics as {@code /metrics} shows them, for connections through a real forwarder:
 * counts come from the forwarder's own listener counters, closes and durations from the observer.
 */
@Timeout(30)
class ConnectionTelemetryTest {

  @Test
  void connectionsBytesAndClosesOfEachLiveListenerAreServed() throws Exception {
    try (Telemetry telemetry = Telemetry.configure("test", Map.of());
        ServerSocket echo = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      assertThat(telemetry.tracing()).as("no exporter configured: no spans built").isFalse();
      Thread server = echoOnce(echo);
      ConnectionTelemetry connections = new ConnectionTelemetry(telemetry, "node-agent");
      try (Forwarder forwarder =
          Forwarder.create(ForwarderOptions.defaults().withObserver(connections))) {
        connections.exportCountsOf(forwarder::listeners);
        Listener listener =
            forwarder
                .addListener(
                    ListenerSpec.tcp("default/web:http", new InetSocketAddress("127.0.0.1", 0)),
                    ServiceTarget.of(
                        Endpoint.ready((InetSocketAddress) echo.getLocalSocketAddress())))
                .get(10, TimeUnit.SECONDS);
        try (Socket client = new Socket()) {
          client.connect(listener.localAddress(), 5000);
          client.setSoTimeout(5000);
          OutputStream out = client.getOutputStream();
          out.write("hello".getBytes(StandardCharsets.US_ASCII));
          InputStream in = client.getInputStream();
          assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("hello");
          String open = telemetry.scrape();
          assertThat(open)
              .contains(
                  "switchboard_connections_opened_total{listener=\"default/web:http\"} 1.0",
                  "switchboard_connections_active{listener=\"default/web:http\"} 1.0");
        }
        server.join(5000);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    telemetry
                        .scrape()
                        .contains(
                            "switchboard_connections_closed_total{listener=\"default/web:http\",outcome=\"completed\"} 1.0"));
        assertThat(telemetry.scrape())
            .contains(
                "switchboard_connections_active{listener=\"default/web:http\"} 0.0",
                "switchboard_connection_bytes_total{direction=\"from_client\",listener=\"default/web:http\"} 5.0",
                "switchboard_connection_bytes_total{direction=\"to_client\",listener=\"default/web:http\"} 5.0",
                "switchboard_connection_duration_seconds_count{listener=\"default/web:http\"} 1");

        listener.close().get(10, TimeUnit.SECONDS);
        assertThat(telemetry.scrape())
            .as("a closed listener's counters leave with it")
            .doesNotContain("switchboard_connections_opened_total{listener=\"default/web:http\"}");
      }
    }
  }

  @Test
  void spansAreBuiltOnlyWhenATraceExporterIsConfigured() {
    try (Telemetry none = Telemetry.configure("test", Map.of());
        Telemetry otlp =
            Telemetry.configure(
                "test", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"));
        Telemetry tracesOff =
            Telemetry.configure(
                "test",
                Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT",
                    "http://127.0.0.1:9",
                    "OTEL_TRACES_EXPORTER",
                    "none"))) {
      assertThat(none.tracing()).isFalse();
      assertThat(otlp.tracing()).isTrue();
      assertThat(tracesOff.tracing()).isFalse();
      assertThat(Telemetry.disabled().tracing()).isFalse();
    }
  }

  private static Thread echoOnce(ServerSocket server) {
    Thread t =
        new Thread(
            () -> {
              try (Socket s = server.accept()) {
                s.getOutputStream().write(s.getInputStream().readNBytes(5));
                s.getInputStream().read(); // until the client closes
              } catch (IOException e) {
                // the test fails on its own assertions
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }
}
