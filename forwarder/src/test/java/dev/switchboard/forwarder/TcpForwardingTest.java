package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TcpForwardingTest extends ForwarderTestSupport {

    private static ListenerOptions options(boolean splice) {
        return ListenerOptions.DEFAULTS.withSplice(splice).withConnectTimeout(Duration.ofSeconds(2));
    }

    @ParameterizedTest(name = "splice={0}")
    @ValueSource(booleans = {true, false})
    void roundTrip(boolean splice) throws Exception {
        TcpBackend b = backend(1, TcpBackend.NAME_THEN_ECHO);
        Listener l = tcpListener(1, ServiceTarget.of(b.endpoint()), options(splice));

        try (Socket s = connect(l.localAddress())) {
            assertThat(TcpBackend.readLine(s)).isEqualTo("b1");
            assertEchoes(s, "hello through the proxy");
            assertEchoes(s, "x".repeat(100_000));
            s.shutdownOutput();
            assertThat(s.getInputStream().read()).isEqualTo(-1); // the backend's FIN came through
        }
        await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
        ListenerStats st = l.stats();
        assertThat(st.totalConnections()).isEqualTo(1);
        assertThat(st.bytesIn()).isEqualTo(23 + 100_000);
        assertThat(st.bytesOut()).isEqualTo(3 + 23 + 100_000);
        assertThat(observer.closed).singleElement().satisfies(c -> {
            assertThat(c.outcome()).isEqualTo(Outcome.COMPLETED);
            assertThat(c.endpoint()).contains(b.endpoint());
            assertThat(c.bytesFromClient()).isEqualTo(23 + 100_000);
        });
    }

    /** The client half-closes first; the backend answers only after reading EOF; the client reads it all. */
    @ParameterizedTest(name = "splice={0}")
    @ValueSource(booleans = {true, false})
    void halfCloseFromClient(boolean splice) throws Exception {
        TcpBackend b = backend(2, (s, self) -> {
            byte[] request = s.getInputStream().readAllBytes(); // to EOF
            s.getOutputStream().write(("got " + request.length + " bytes: " + new String(request, StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(new byte[300_000]);
            s.shutdownOutput();
        });
        Listener l = tcpListener(2, ServiceTarget.of(b.endpoint()), options(splice));

        try (Socket s = connect(l.localAddress())) {
            s.getOutputStream().write("question".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes("got 8 bytes: question".length());
            assertThat(new String(head, StandardCharsets.UTF_8)).isEqualTo("got 8 bytes: question");
            assertThat(in.readAllBytes()).hasSize(300_000);
        }
        await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
        assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
    }
}
