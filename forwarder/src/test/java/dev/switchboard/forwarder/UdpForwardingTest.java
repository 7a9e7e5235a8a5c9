package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpForwardingTest extends ForwarderTestSupport {

  /** Answers every datagram with "name:" + its payload, to its sender. */
  private static final class UdpEcho implements AutoCloseable {
    final String name;
    final DatagramSocket socket;
    private final Thread thread;

    UdpEcho(String ip, String name) throws IOException {
      this.name = name;
      this.socket = new DatagramSocket(new InetSocketAddress(ip, 0));
      this.thread = new Thread(this::run, "udp-echo-" + name);
      thread.setDaemon(true);
      thread.start();
    }

    Endpoint endpoint() {
      return Endpoint.ready((InetSocketAddress) socket.getLocalSocketAddress());
    }

    private void run() {
      byte[] buf = new byte[65_536];
      while (!socket.isClosed()) {
        try {
          DatagramPacket p = new DatagramPacket(buf, buf.length);
          socket.receive(p);
          byte[] prefix = (name + ":").getBytes(StandardCharsets.UTF_8);
          byte[] out = new byte[prefix.length + p.getLength()];
          System.arraycopy(prefix, 0, out, 0, prefix.length);
          System.arraycopy(p.getData(), 0, out, prefix.length, p.getLength());
          socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
        } catch (IOException e) {
          return;
        }
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private Listener udpListener(int n, ServiceTarget target, ListenerOptions options)
      throws Exception {
    ListenerSpec spec =
        new ListenerSpec(
            "test/u" + n, Protocol.UDP, new InetSocketAddress("127.0.1." + n, 0), options);
    return forwarder.addListener(spec, target).get(5, TimeUnit.SECONDS);
  }

  private DatagramSocket client(String ip) throws IOException {
    DatagramSocket s = closeLater(new DatagramSocket(new InetSocketAddress(ip, 0)));
    s.setSoTimeout(5_000);
    return s;
  }

  private static String ask(DatagramSocket client, InetSocketAddress to, String text)
      throws IOException {
    byte[] out = text.getBytes(StandardCharsets.UTF_8);
    client.send(new DatagramPacket(out, out.length, to));
    byte[] in = new byte[65_536];
    DatagramPacket p = new DatagramPacket(in, in.length);
    client.receive(p);
    assertThat(p.getSocketAddress()).as("reply comes from the listener's address").isEqualTo(to);
    return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
  }

  @Test
  void repliesReachTheRightClient() throws Exception {
    UdpEcho a = closeLater(new UdpEcho("127.0.10.61", "a"));
    UdpEcho b = closeLater(new UdpEcho("127.0.10.62", "b"));
    Listener l =
        udpListener(61, ServiceTarget.of(a.endpoint(), b.endpoint()), ListenerOptions.DEFAULTS);
    DatagramSocket c1 = client("127.0.20.1");
    DatagramSocket c2 = client("127.0.20.2");

    String backendOf1 = null;
    String backendOf2 = null;
    for (int i = 0; i < 20; i++) {
      String r1 = ask(c1, l.localAddress(), "one-" + i);
      String r2 = ask(c2, l.localAddress(), "two-" + i);
      assertThat(r1).endsWith(":one-" + i);
      assertThat(r2).endsWith(":two-" + i);
      // A flow keeps its endpoint.
      backendOf1 = check(backendOf1, r1);
      backendOf2 = check(backendOf2, r2);
    }
    String big = "x".repeat(60_000); // needs more than Netty's default 2 KiB datagram buffer
    assertThat(ask(c1, l.localAddress(), big)).isEqualTo(backendOf1 + ":" + big);

    ListenerStats st = l.stats();
    assertThat(st.activeConnections()).isEqualTo(2);
    assertThat(st.totalConnections()).isEqualTo(2);
    assertThat(st.bytesIn()).isEqualTo(2 * (10 * 5 + 10 * 6) + 60_000);
    assertThat(st.droppedDatagrams()).isZero();
  }

  private static String check(String known, String reply) {
    String backend = reply.substring(0, reply.indexOf(':'));
    if (known != null) {
      assertThat(backend).isEqualTo(known);
    }
    return backend;
  }

  @Test
  void idleFlowsExpire() throws Exception {
    UdpEcho a = closeLater(new UdpEcho("127.0.10.63", "a"));
    Listener l =
        udpListener(
            63,
            ServiceTarget.of(a.endpoint()),
            ListenerOptions.DEFAULTS.withUdpIdleTimeout(Duration.ofMillis(300)));
    DatagramSocket c1 = client("127.0.20.3");
    DatagramSocket c2 = client("127.0.20.4");
    assertThat(ask(c1, l.localAddress(), "hi")).isEqualTo("a:hi");
    assertThat(ask(c2, l.localAddress(), "hi")).isEqualTo("a:hi");
    assertThat(l.stats().activeConnections()).isEqualTo(2);

    await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
    assertThat(observer.closed)
        .hasSize(2)
        .allSatisfy(
            c -> {
              assertThat(c.outcome()).isEqualTo(Outcome.IDLE_TIMEOUT);
              assertThat(c.bytesFromClient()).isEqualTo(2);
              assertThat(c.bytesToClient()).isEqualTo(4);
            });
    // The client comes back: a new flow.
    assertThat(ask(c1, l.localAddress(), "again")).isEqualTo("a:again");
    assertThat(l.stats().totalConnections()).isEqualTo(3);
  }

  @Test
  void flowMovesWhenItsEndpointLeaves() throws Exception {
    UdpEcho a = closeLater(new UdpEcho("127.0.10.64", "a"));
    UdpEcho b = closeLater(new UdpEcho("127.0.10.65", "b"));
    Listener l = udpListener(64, ServiceTarget.of(a.endpoint()), ListenerOptions.DEFAULTS);
    DatagramSocket c = client("127.0.20.5");
    assertThat(ask(c, l.localAddress(), "1")).isEqualTo("a:1");

    l.update(ServiceTarget.of(b.endpoint())).get(5, TimeUnit.SECONDS);
    assertThat(ask(c, l.localAddress(), "2")).isEqualTo("b:2");
    // A terminating but serving endpoint keeps its flows.
    l.update(ServiceTarget.of(b.endpoint().asTerminating(), a.endpoint())).get(5, TimeUnit.SECONDS);
    assertThat(ask(c, l.localAddress(), "3")).isEqualTo("b:3");
  }

  @Test
  void noEndpointDropsDatagrams() throws Exception {
    Listener l = udpListener(66, ServiceTarget.EMPTY, ListenerOptions.DEFAULTS);
    DatagramSocket c = client("127.0.20.6");
    c.setSoTimeout(300);
    byte[] out = "anyone?".getBytes(StandardCharsets.UTF_8);
    c.send(new DatagramPacket(out, out.length, l.localAddress()));
    await().atMost(seconds(5)).until(() -> l.stats().noEndpoint() == 1);
    try {
      c.receive(new DatagramPacket(new byte[100], 100));
      throw new AssertionError("no reply expected");
    } catch (SocketTimeoutException expected) {
      // dropped
    }
    assertThat(l.stats().activeConnections()).isZero();
  }

  @Test
  void flowTableIsBounded() throws Exception {
    UdpEcho a = closeLater(new UdpEcho("127.0.10.67", "a"));
    Listener l =
        udpListener(
            67, ServiceTarget.of(a.endpoint()), ListenerOptions.DEFAULTS.withUdpMaxFlows(2));
    assertThat(ask(client("127.0.20.7"), l.localAddress(), "1")).isEqualTo("a:1");
    assertThat(ask(client("127.0.20.8"), l.localAddress(), "2")).isEqualTo("a:2");
    DatagramSocket third = client("127.0.20.9");
    byte[] out = "3".getBytes(StandardCharsets.UTF_8);
    third.send(new DatagramPacket(out, out.length, l.localAddress()));
    await().atMost(seconds(5)).until(() -> l.stats().droppedDatagrams() == 1);
    assertThat(l.stats().activeConnections()).isEqualTo(2);
  }
}
