package dev.switchboard.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Large transfers: byte-exact through both relay modes, bounded memory with a slow reader. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BulkTransferTest extends ForwarderTestSupport {
  private static final long MIB = 1024 * 1024;

  private final MeteredAllocator allocator = new MeteredAllocator();

  @Override
  protected ForwarderOptions forwarderOptions() {
    return super.forwarderOptions().withAllocator(allocator);
  }

  /** Fills buf with the next bytes of a seeded pseudo-random stream. */
  private static void fill(SplittableRandom random, byte[] buf) {
    for (int i = 0; i < buf.length; i += 8) {
      long v = random.nextLong();
      for (int j = 0; j < 8; j++) {
        buf[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }

  /**
   * The client sends 256 MiB and half-closes; the backend reads to EOF and answers with the count
   * and CRC32 it saw; they must equal the client's. The half-close at the end of a full pipe is
   * exactly the case where splice must not lose the tail.
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void upload256MiBByteExact(boolean splice) throws Exception {
    TcpBackend b =
        backend(
            3,
            (s, self) -> {
              CRC32 crc = new CRC32();
              long n = 0;
              InputStream in = s.getInputStream();
              byte[] buf = new byte[256 * 1024];
              for (int r; (r = in.read(buf)) > 0; ) {
                crc.update(buf, 0, r);
                n += r;
              }
              DataOutputStream out = new DataOutputStream(s.getOutputStream());
              out.writeLong(n);
              out.writeLong(crc.getValue());
              out.flush();
              s.shutdownOutput();
            });
    Listener l =
        tcpListener(3, ServiceTarget.of(b.endpoint()), ListenerOptions.DEFAULTS.withSplice(splice));

    long total = 256 * MIB;
    CRC32 sent = new CRC32();
    long start = System.nanoTime();
    try (Socket s = connect(l.localAddress())) {
      OutputStream out = s.getOutputStream();
      SplittableRandom random = new SplittableRandom(42);
      byte[] chunk = new byte[256 * 1024];
      for (long done = 0; done < total; done += chunk.length) {
        fill(random, chunk);
        sent.update(chunk);
        out.write(chunk);
      }
      s.shutdownOutput();
      DataInputStream in = new DataInputStream(s.getInputStream());
      long received = in.readLong();
      long crc = in.readLong();
      assertThat(in.read()).isEqualTo(-1);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "upload 256 MiB splice=%s transport=%s: %.2f s (%.0f MiB/s), proxy allocated %d KiB%n",
          splice,
          forwarder.transport(),
          seconds,
          256 / seconds,
          allocator.allocatedBytes.sum() / 1024);
      assertThat(received).isEqualTo(total);
      assertThat(crc).isEqualTo(sent.getValue());
    }
    await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
    assertThat(l.stats().bytesIn()).isEqualTo(total);
    assertThat(l.stats().bytesOut()).isEqualTo(16);
    assertThat(observer.closed)
        .singleElement()
        .extracting(ConnectionSummary::outcome)
        .isEqualTo(Outcome.COMPLETED);
    if (splice && forwarder.transport().supportsSplice()) {
      // Zero-copy: the payload did not pass through Java buffers. Only the tail that was already in
      // the
      // socket when the FIN came is read by the proxy (see SpliceRelay); it is bounded by the
      // socket's
      // receive buffer (net.ipv4.tcp_rmem max), usually 0-16 MiB here.
      assertThat(allocator.allocatedBytes.sum()).isLessThan(total / 4);
    }
    assertThat(allocator.liveDirectBytes()).isZero(); // every buffer released
  }

  /** The backend sends 64 MiB and closes; the client reads it all and checks the CRC32. */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void download64MiBByteExact(boolean splice) throws Exception {
    long total = 64 * MIB;
    AtomicLong backendCrc = new AtomicLong();
    TcpBackend b =
        backend(
            4,
            (s, self) -> {
              CRC32 crc = new CRC32();
              SplittableRandom random = new SplittableRandom(7);
              byte[] chunk = new byte[256 * 1024];
              OutputStream out = s.getOutputStream();
              for (long done = 0; done < total; done += chunk.length) {
                fill(random, chunk);
                crc.update(chunk);
                out.write(chunk);
              }
              backendCrc.set(crc.getValue());
              s.shutdownOutput();
              s.getInputStream().readAllBytes();
            });
    Listener l =
        tcpListener(4, ServiceTarget.of(b.endpoint()), ListenerOptions.DEFAULTS.withSplice(splice));
    try (Socket s = connect(l.localAddress())) {
      CRC32 crc = new CRC32();
      long n = 0;
      InputStream in = s.getInputStream();
      byte[] buf = new byte[256 * 1024];
      for (int r; (r = in.read(buf)) > 0; ) {
        crc.update(buf, 0, r);
        n += r;
      }
      s.shutdownOutput();
      assertThat(n).isEqualTo(total);
      assertThat(crc.getValue()).isEqualTo(backendCrc.get());
    }
    await().atMost(seconds(5)).until(() -> l.stats().activeConnections() == 0);
    assertThat(l.stats().bytesOut()).isEqualTo(total);
    assertThat(allocator.liveDirectBytes()).isZero();
  }

  /**
   * The FIN arrives while the proxy still holds megabytes in front of it (the backend is not
   * reading yet): every byte must still reach the backend before its EOF. With splice this is the
   * case where Netty reports the FIN early.
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void finBehindFullBuffersKeepsTheTail(boolean splice) throws Exception {
    CountDownLatch clientDone = new CountDownLatch(1);
    TcpBackend b =
        backend(
            5,
            (s, self) -> {
              try {
                clientDone.await(
                    10,
                    TimeUnit
                        .SECONDS); // do not read until the client has sent everything and its FIN
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              CRC32 crc = new CRC32();
              long n = 0;
              byte[] buf = new byte[64 * 1024];
              for (int r; (r = s.getInputStream().read(buf)) > 0; ) {
                crc.update(buf, 0, r);
                n += r;
              }
              DataOutputStream out = new DataOutputStream(s.getOutputStream());
              out.writeLong(n);
              out.writeLong(crc.getValue());
              s.shutdownOutput();
            });
    Listener l =
        tcpListener(5, ServiceTarget.of(b.endpoint()), ListenerOptions.DEFAULTS.withSplice(splice));
    long total = 16 * MIB;
    try (Socket s = connect(l.localAddress())) {
      CRC32 sent = new CRC32();
      SplittableRandom random = new SplittableRandom(3);
      byte[] chunk = new byte[64 * 1024];
      AtomicLong written = new AtomicLong();
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = s.getOutputStream();
                  for (long done = 0; done < total; done += chunk.length) {
                    fill(random, chunk);
                    sent.update(chunk);
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                  }
                  s.shutdownOutput();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      writer.start();
      // Wait until every buffer on the way is full (the writer stalls) or it all fit, FIN included.
      AtomicLong lastSeen = new AtomicLong(-1);
      await()
          .during(Duration.ofMillis(200))
          .atMost(seconds(10))
          .until(() -> !writer.isAlive() || lastSeen.getAndSet(written.get()) == written.get());
      clientDone.countDown();
      writer.join(10_000);
      DataInputStream in = new DataInputStream(s.getInputStream());
      assertThat(in.readLong()).isEqualTo(total);
      assertThat(in.readLong()).isEqualTo(sent.getValue());
    }
  }

  /**
   * A client that reads slowly while the backend writes as fast as it can: back-pressure must reach
   * the backend (it stays blocked far short of its 64 MiB) and the proxy must hold little memory.
   * Measured honestly: the proxy's allocator is exact and used by nothing else in this JVM (the
   * test client and backend use java.net sockets), and a sampler records its peak every
   * millisecond.
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void slowReaderBoundsProxyMemory(boolean splice) throws Exception {
    long total = 64 * MIB;
    AtomicLong backendWritten = new AtomicLong();
    AtomicLong backendCrc = new AtomicLong();
    TcpBackend b =
        backend(
            6,
            (s, self) -> {
              CRC32 crc = new CRC32();
              SplittableRandom random = new SplittableRandom(11);
              byte[] chunk = new byte[64 * 1024];
              OutputStream out = s.getOutputStream();
              for (long done = 0; done < total; done += chunk.length) {
                fill(random, chunk);
                crc.update(chunk);
                out.write(chunk);
                backendWritten.addAndGet(chunk.length);
              }
              backendCrc.set(crc.getValue());
              s.shutdownOutput();
              s.getInputStream().readAllBytes();
            });
    Listener l =
        tcpListener(6, ServiceTarget.of(b.endpoint()), ListenerOptions.DEFAULTS.withSplice(splice));

    AtomicLong peakLive = new AtomicLong();
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                peakLive.accumulateAndGet(allocator.liveDirectBytes(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
              }
            });
    sampler.setDaemon(true);
    sampler.start();
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(64 * 1024);
      s.setSoTimeout(10_000);
      s.connect(l.localAddress(), 5_000);
      InputStream in = s.getInputStream();
      CRC32 crc = new CRC32();
      long read = 0;
      byte[] buf = new byte[16 * 1024];
      long slowUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
      while (System.nanoTime() < slowUntil) { // the slow client: 16 KiB every 10 ms, ~1.6 MB/s
        int r = in.read(buf);
        crc.update(buf, 0, r);
        read += r;
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
      }
      long ahead = backendWritten.get() - read;
      System.out.printf(
          "slow reader splice=%s: client read %d KiB, backend wrote %d KiB (%d KiB ahead, in kernel "
              + "buffers and the proxy), proxy peak live buffers %d KiB%n",
          splice, read / 1024, backendWritten.get() / 1024, ahead / 1024, peakLive.get() / 1024);
      assertThat(backendWritten.get()).as("backend blocked by back-pressure").isLessThan(total / 2);
      assertThat(peakLive.get()).as("proxy memory while the client is slow").isLessThan(MIB);
      for (int r; (r = in.read(buf)) > 0; ) { // now read the rest at full speed
        crc.update(buf, 0, r);
        read += r;
      }
      assertThat(read).isEqualTo(total);
      assertThat(crc.getValue()).isEqualTo(backendCrc.get());
    } finally {
      sampler.interrupt();
    }
  }

  /**
   * The client sends its request and half-closes at once; then the backend sends 64 MiB, more than
   * the socket buffers hold, so the proxy must wait for the client to become writable on a socket
   * whose input is already finished. (Netty 4.2.18's epoll drops such a socket from epoll and then
   * fails to re-arm it; see EpollWorkaround.)
   */
  @ParameterizedTest(name = "splice={0}")
  @ValueSource(booleans = {true, false})
  void halfClosedClientReceivesBulk(boolean splice) throws Exception {
    long total = 64 * MIB;
    AtomicLong backendCrc = new AtomicLong();
    TcpBackend b =
        backend(
            7,
            (s, self) -> {
              s.getInputStream().readAllBytes(); // the request, up to the client's FIN
              CRC32 crc = new CRC32();
              SplittableRandom random = new SplittableRandom(5);
              byte[] chunk = new byte[256 * 1024];
              OutputStream out = s.getOutputStream();
              for (long done = 0; done < total; done += chunk.length) {
                fill(random, chunk);
                crc.update(chunk);
                out.write(chunk);
              }
              backendCrc.set(crc.getValue());
              s.shutdownOutput();
            });
    Listener l =
        tcpListener(7, ServiceTarget.of(b.endpoint()), ListenerOptions.DEFAULTS.withSplice(splice));
    try (Socket s = connect(l.localAddress())) {
      s.getOutputStream().write("GET /big".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      s.shutdownOutput();
      CRC32 crc = new CRC32();
      long n = 0;
      byte[] buf = new byte[64 * 1024];
      InputStream in = s.getInputStream();
      for (int r; (r = in.read(buf)) > 0; ) {
        crc.update(buf, 0, r);
        n += r;
        if (n < 8 * MIB) {
          java.util.concurrent.locks.LockSupport.parkNanos(200_000); // slow start: buffers fill up
        }
      }
      assertThat(n).isEqualTo(total);
      assertThat(crc.getValue()).isEqualTo(backendCrc.get());
    }
    await().atMost(seconds(5)).until(() -> observer.closed.size() == 1);
    assertThat(observer.closed.get(0).outcome()).isEqualTo(Outcome.COMPLETED);
  }
}
