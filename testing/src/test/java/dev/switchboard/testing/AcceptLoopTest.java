package dev.switchboard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AcceptLoopTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /**
   * With a client connecting as fast as it can while the loop closes, the first connect after
   * close() returns is refused, every time.
   */
  @Test
  void afterCloseTheNextConnectIsRefused() throws Exception {
    for (int round = 0; round < 50; round++) {
      ServerSocket server = new ServerSocket(0, 64, LOOPBACK);
      InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();
      AtomicInteger served = new AtomicInteger();
      AcceptLoop loop =
          AcceptLoop.start(
              server,
              "accept-loop-test",
              s -> {
                try (s) {
                  s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
                }
                served.incrementAndGet();
              });
      AtomicBoolean hammering = new AtomicBoolean(true);
      Thread hammer =
          new Thread(
              () -> {
                while (hammering.get()) {
                  try (Socket s = new Socket()) {
                    s.connect(address, 1000);
                    s.setSoTimeout(1000);
                    s.getInputStream().readAllBytes();
                  } catch (IOException e) {
                    // refused once closed, or cut while closing
                  }
                }
              });
      hammer.setDaemon(true);
      hammer.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (served.get() < 3) {
        assertThat(System.nanoTime()).as("3 connections served within 10 s").isLessThan(deadline);
        Thread.onSpinWait();
      }
      loop.close();
      try {
        assertRefused(address);
      } finally {
        hammering.set(false);
        hammer.join(5000);
      }
    }
  }

  @Test
  void connectionsHandedOverBeforeCloseStayTheHandlers() throws Exception {
    ServerSocket server = new ServerSocket(0, 64, LOOPBACK);
    CountDownLatch handed = new CountDownLatch(1);
    Socket[] kept = new Socket[1];
    AcceptLoop loop =
        AcceptLoop.start(
            server,
            "accept-loop-test",
            s -> {
              kept[0] = s;
              handed.countDown();
            });
    try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
      assertThat(handed.await(5, TimeUnit.SECONDS)).isTrue();
      loop.close();
      assertRefused((InetSocketAddress) server.getLocalSocketAddress());
      kept[0].getOutputStream().write("still here\n".getBytes(StandardCharsets.US_ASCII));
      kept[0].close();
      InputStream in = client.getInputStream();
      assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("still here\n");
    }
  }

  @Test
  void closeFailsWhenTheLoopDoesNotEnd() throws Exception {
    ServerSocket server = new ServerSocket(0, 64, LOOPBACK);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch serving = new CountDownLatch(1);
    AcceptLoop loop =
        AcceptLoop.start(
            server,
            "accept-loop-test",
            s -> {
              try (s) {
                serving.countDown();
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
      assertThat(serving.await(5, TimeUnit.SECONDS)).isTrue();
      assertThatThrownBy(loop::close)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not end within 5 s");
    } finally {
      release.countDown();
    }
  }

  private static void assertRefused(InetSocketAddress address) throws IOException {
    try (Socket s = new Socket()) {
      assertThatThrownBy(() -> s.connect(address, 1000)).isInstanceOf(ConnectException.class);
    }
  }
}
