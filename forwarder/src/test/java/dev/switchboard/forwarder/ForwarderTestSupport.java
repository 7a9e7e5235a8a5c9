package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * One forwarder per test, test backends on 127.0.10.x, listeners on 127.0.1.x, all on ephemeral
 * ports.
 */
abstract class ForwarderTestSupport {

  /** Records every observer call, for assertions on outcomes. */
  static final class RecordingObserver implements ConnectionObserver {
    final List<ConnectionInfo> opened = new CopyOnWriteArrayList<>();
    final List<ConnectionSummary> closed = new CopyOnWriteArrayList<>();

    @Override
    public void onOpen(ConnectionInfo connection) {
      opened.add(connection);
    }

    @Override
    public void onClose(ConnectionInfo connection, ConnectionSummary summary) {
      closed.add(summary);
    }
  }

  protected Forwarder forwarder;
  protected final RecordingObserver observer = new RecordingObserver();
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeEach
  void startForwarder() {
    forwarder = Forwarder.create(forwarderOptions());
  }

  protected ForwarderOptions forwarderOptions() {
    return ForwarderOptions.defaults().withIoThreads(2).withObserver(observer);
  }

  @AfterEach
  void stopAll() throws Exception {
    forwarder.close();
    for (AutoCloseable r : resources) {
      r.close();
    }
  }

  protected <T extends AutoCloseable> T closeLater(T resource) {
    resources.add(resource);
    return resource;
  }

  protected TcpBackend backend(int n, TcpBackend.Behaviour behaviour) throws IOException {
    return closeLater(TcpBackend.start("127.0.10." + n, "b" + n, behaviour));
  }

  protected Listener tcpListener(int n, ServiceTarget target, ListenerOptions options)
      throws Exception {
    ListenerSpec spec =
        new ListenerSpec(
            "test/l" + n, Protocol.TCP, new InetSocketAddress("127.0.1." + n, 0), options);
    return forwarder.addListener(spec, target).get(5, TimeUnit.SECONDS);
  }

  protected static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(10_000);
    s.connect(to, 5_000);
    return s;
  }

  /**
   * A client socket bound to a given 127.x source address, so that ClientIP affinity sees different
   * clients.
   */
  protected static Socket connectFrom(String sourceIp, InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.setSoTimeout(10_000);
    s.bind(new InetSocketAddress(sourceIp, 0));
    s.connect(to, 5_000);
    return s;
  }

  /** Connects, reads the backend's name line, closes. */
  protected static String whoAnswers(InetSocketAddress to) throws IOException {
    try (Socket s = connect(to)) {
      return TcpBackend.readLine(s);
    }
  }

  protected static String echo(Socket s, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(bytes);
    out.flush();
    InputStream in = s.getInputStream();
    byte[] got = in.readNBytes(bytes.length);
    return new String(got, StandardCharsets.UTF_8);
  }

  protected static void assertEchoes(Socket s, String text) throws IOException {
    assertThat(echo(s, text)).isEqualTo(text);
  }

  protected static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
