package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same forwarding on every transport that loads here (epoll is covered by every other test).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TransportsTest {

  @Test
  void defaultIsEpollOnLinux() {
    assumeTrue(System.getProperty(Transport.PROPERTY) == null, "transport chosen by property");
    assertThat(Transport.select(null).kind()).isEqualTo(Transport.Kind.EPOLL);
  }

  @ParameterizedTest
  @EnumSource(Transport.Kind.class)
  void forwardsTcpAndUdp(Transport.Kind kind) throws Exception {
    assumeTrue(Transport.isAvailable(kind), kind + " does not load here");
    try (Forwarder fwd =
            Forwarder.create(ForwarderOptions.defaults().withIoThreads(2).withTransport(kind));
        TcpBackend b =
            TcpBackend.start(
                "127.0.10.71",
                "b71",
                (s, self) -> {
                  byte[] all = s.getInputStream().readAllBytes();
                  s.getOutputStream().write(("len=" + all.length).getBytes(StandardCharsets.UTF_8));
                  s.shutdownOutput();
                });
        DatagramSocket udpBackend = new DatagramSocket(new InetSocketAddress("127.0.10.72", 0));
        DatagramSocket udpClient = new DatagramSocket(new InetSocketAddress("127.0.20.71", 0))) {
      assertThat(fwd.transport().kind()).isEqualTo(kind);
      Listener tcp =
          fwd.addListener(
                  ListenerSpec.tcp("t", new InetSocketAddress("127.0.1.71", 0)),
                  ServiceTarget.of(b.endpoint()))
              .get(5, TimeUnit.SECONDS);
      try (Socket s = ForwarderTestSupport.connect(tcp.localAddress())) {
        s.getOutputStream().write(new byte[1_000_000]);
        s.shutdownOutput();
        assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("len=1000000");
      }

      Listener udp =
          fwd.addListener(
                  ListenerSpec.udp("u", new InetSocketAddress("127.0.1.72", 0)),
                  ServiceTarget.of(
                      Endpoint.ready((InetSocketAddress) udpBackend.getLocalSocketAddress())))
              .get(5, TimeUnit.SECONDS);
      udpBackend.setSoTimeout(5_000);
      udpClient.setSoTimeout(5_000);
      udpClient.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, udp.localAddress()));
      DatagramPacket got = new DatagramPacket(new byte[10], 10);
      udpBackend.receive(got);
      assertThat(got.getLength()).isEqualTo(3);
      udpBackend.send(new DatagramPacket(new byte[] {9}, 1, got.getSocketAddress()));
      DatagramPacket reply = new DatagramPacket(new byte[10], 10);
      udpClient.receive(reply);
      assertThat(reply.getData()[0]).isEqualTo((byte) 9);
      assertThat(reply.getSocketAddress()).isEqualTo(udp.localAddress());
    }
  }
}
