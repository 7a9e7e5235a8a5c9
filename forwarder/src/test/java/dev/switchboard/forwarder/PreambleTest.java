package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.forwarder.pick.EndpointSet;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The preamble reaches the endpoint first, whole, in copy and in splice mode, and after a retry. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PreambleTest extends ForwarderTestSupport {

    /** Reads one line (the preamble), answers it back, then echoes. */
    private static final TcpBackend.Behaviour LINE_THEN_ECHO = (s, b) -> {
        String line = TcpBackend.readLine(s);
        s.getOutputStream().write((b.name + " got " + line + "\n").getBytes(StandardCharsets.UTF_8));
        TcpBackend.echo(s);
    };

    @ParameterizedTest(name = "splice={0}")
    @ValueSource(booleans = {true, false})
    void preambleComesBeforeTheClientsBytes(boolean splice) throws Exception {
        TcpBackend b = backend(31, LINE_THEN_ECHO);
        ConnectionPreamble preamble = (alloc, c, e) -> {
            ByteBuf buf = alloc.buffer();
            buf.writeCharSequence("from " + c.client().getAddress().getHostAddress() + " to "
                    + c.listenerAddress().getPort() + " via " + e.getPort() + "\n", StandardCharsets.US_ASCII);
            return buf;
        };
        // The first endpoint refuses: the preamble goes to the one that answers, once.
        InetSocketAddress refusing = new InetSocketAddress("127.0.10.32", FreePort.get());
        Listener l = tcpListener(31, ServiceTarget.of(Endpoint.ready(refusing), b.endpoint()),
                ListenerOptions.DEFAULTS.withSplice(splice).withConnectTimeout(Duration.ofSeconds(2))
                        .withMaxConnectAttempts(2).withPreamble(preamble).withPicker(() -> InOrder::pick));

        for (int i = 0; i < 4; i++) {
            try (Socket s = connectFrom("127.0.30.5", l.localAddress())) {
                s.getOutputStream().write("early bytes".getBytes(StandardCharsets.UTF_8)); // before the endpoint answers
                assertThat(TcpBackend.readLine(s)).isEqualTo("b31 got from 127.0.30.5 to "
                        + l.localAddress().getPort() + " via " + b.address().getPort());
                InputStream in = s.getInputStream();
                assertThat(new String(in.readNBytes(11), StandardCharsets.UTF_8)).isEqualTo("early bytes");
                assertEchoes(s, "and later ones");
            }
        }
        assertThat(b.accepted.get()).isEqualTo(4);
        assertThat(l.stats().connectRetries()).isEqualTo(4);
    }

    /** The first candidate not tried yet: the refusing endpoint is always tried first. */
    private static final class InOrder {
        static Endpoint pick(EndpointSet set, InetSocketAddress client, Set<InetSocketAddress> excluded) {
            return set.candidates().stream().filter(e -> !excluded.contains(e.socketAddress())).findFirst().orElse(null);
        }
    }

    /** A free port nobody listens on (bound, then released). */
    private static final class FreePort {
        static int get() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.10.32"))) {
                return s.getLocalPort();
            }
        }
    }
}
