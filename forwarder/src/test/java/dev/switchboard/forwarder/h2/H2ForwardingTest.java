package dev.switchboard.forwarder.h2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Forwarder;
import dev.switchboard.forwarder.ForwarderOptions;
import dev.switchboard.forwarder.Listener;
import dev.switchboard.forwarder.ListenerOptions;
import dev.switchboard.forwarder.ListenerSpec;
import dev.switchboard.forwarder.MeteredAllocator;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.ServiceTarget;
import dev.switchboard.forwarder.SessionAffinity;
import dev.switchboard.testing.GrpcBackend;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.ResourceLeakDetector;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 mode with real gRPC clients and servers: one client channel (one HTTP/2 connection)
 * reaches every endpoint, call by call; streaming both ways; statuses, trailers, deadlines and
 * cancellations pass; endpoints that go away fail no call that had not started on them.
 */
@Timeout(120)
class H2ForwardingTest {
  private final MeteredAllocator allocator = new MeteredAllocator();
  private final List<GrpcBackend> backends = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<String> statuses = new CopyOnWriteArrayList<>();
  private Forwarder forwarder;

  private final ListAppender<ILoggingEvent> leaks = new ListAppender<>();
  private ResourceLeakDetector.Level leakLevel;

  @BeforeEach
  void start() throws Exception {
    leakLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    leaks.start();
    ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).addAppender(leaks);
    for (int i = 1; i <= 3; i++) {
      backends.add(GrpcBackend.start("127.0.10.5" + i, "b" + i));
    }
    forwarder =
        Forwarder.create(ForwarderOptions.defaults().withIoThreads(2).withAllocator(allocator));
  }

  @AfterEach
  void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    forwarder.close();
    for (GrpcBackend b : backends) {
      b.close();
    }
    // Leaks are reported when buffers are tracked after the leaked ones were collected.
    for (int i = 0; i < 5; i++) {
      System.gc();
      for (int j = 0; j < 100; j++) {
        ByteBufAllocator.DEFAULT.directBuffer(16).release();
      }
      Thread.sleep(20);
    }
    ((Logger) LoggerFactory.getLogger(ResourceLeakDetector.class)).detachAppender(leaks);
    ResourceLeakDetector.setLevel(leakLevel);
    assertThat(leaks.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .noneMatch(m -> m.contains("LEAK"));
  }

  private final H2CallObserver recording =
      (ConnectionInfo c, Endpoint e, Http2Headers request) ->
          new H2CallObserver.Call() {
            @Override
            public void onTrailers(Http2Headers trailers) {
              CharSequence s = trailers.get("grpc-status");
              statuses.add(request.path() + " " + s);
            }

            @Override
            public void onFailed(String reason) {
              failures.add(request.path() + ": " + reason);
            }
          };

  private Listener listener(int n, ServiceTarget target, boolean h2) throws Exception {
    ListenerSpec spec =
        new ListenerSpec(
            "test/grpc" + n,
            Protocol.TCP,
            new InetSocketAddress("127.0.1.5" + n, 0),
            ListenerOptions.DEFAULTS);
    if (h2) {
      spec = spec.withH2(H2Options.of(recording));
    }
    return forwarder.addListener(spec, target).get(5, TimeUnit.SECONDS);
  }

  private ServiceTarget target(GrpcBackend... bs) {
    List<Endpoint> eps = new ArrayList<>();
    for (GrpcBackend b : bs) {
      eps.add(Endpoint.ready(b.address()));
    }
    return ServiceTarget.of(eps.toArray(Endpoint[]::new));
  }

  private ServiceTarget allThree() {
    return target(backends.get(0), backends.get(1), backends.get(2));
  }

  private ManagedChannel channel(Listener l) {
    ManagedChannel c = GrpcBackend.channel(l.localAddress());
    channels.add(c);
    return c;
  }

  private static String who(ManagedChannel ch) {
    return new String(
        ClientCalls.blockingUnaryCall(
            ch,
            GrpcBackend.WHO,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            new byte[0]),
        StandardCharsets.UTF_8);
  }

  private static Map<String, Integer> spread(ManagedChannel ch, int n) throws Exception {
    return GrpcBackend.spread(ch, n);
  }

  @Test
  void aClientConnectionIdleForTheTimeoutIsClosed() throws Exception {
    ListenerSpec spec =
        new ListenerSpec(
                "test/grpc-idle",
                Protocol.TCP,
                new InetSocketAddress("127.0.1.59", 0),
                ListenerOptions.DEFAULTS.withIdleTimeout(java.time.Duration.ofMillis(500)))
            .withH2(H2Options.of(recording));
    Listener l = forwarder.addListener(spec, allThree()).get(5, TimeUnit.SECONDS);
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(l.localAddress(), 5_000);
      s.setSoTimeout(10_000);
      // The client preface and an empty SETTINGS frame (length 0, type 4, flags 0, stream 0).
      s.getOutputStream()
          .write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
      long start = System.nanoTime();
      try {
        while (s.getInputStream().read() != -1) {
          // the forwarder's SETTINGS, its ack and window update; then its close
        }
      } catch (java.net.SocketException reset) {
        // closed with unread bytes of ours: a reset is a close too
      }
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
          .isBetween(java.time.Duration.ofMillis(400), java.time.Duration.ofSeconds(8));
    }
  }

  @Test
  void oneClientConnectionIsSpreadPerCallAndAPlainPortIsNot() throws Exception {
    ManagedChannel viaH2 = channel(listener(1, allThree(), true));
    ManagedChannel viaL4 = channel(listener(2, allThree(), false));

    Map<String, Integer> h2 = spread(viaH2, 3000);
    Map<String, Integer> l4 = spread(viaL4, 3000);

    assertThat(h2).containsOnlyKeys("b1", "b2", "b3");
    assertThat(h2.values()).allSatisfy(n -> assertThat(n).isBetween(900, 1100));
    assertThat(l4).hasSize(1).containsValue(3000); // one connection, one endpoint: the L4 way
  }

  @Test
  void clientIpAffinityKeepsTheClientsCallsOnOneEndpoint() throws Exception {
    ServiceTarget sticky =
        new ServiceTarget(allThree().endpoints(), SessionAffinity.clientIp(Duration.ofMinutes(5)));
    ManagedChannel ch = channel(listener(1, sticky, true));
    assertThat(spread(ch, 300)).hasSize(1);
  }

  @Test
  void a100MiBServerStreamToASlowClientKeepsTheForwarderBounded() throws Exception {
    ManagedChannel ch = channel(listener(1, target(backends.get(0)), true));
    long total = 100L << 20;
    AtomicLong received = new AtomicLong();
    AtomicLong maxLive = new AtomicLong();
    ClientCall<byte[], byte[]> call =
        ch.newCall(
            GrpcBackend.SOURCE, CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.SECONDS));
    Status[] closed = {null};
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(byte[] message) {
            received.addAndGet(message.length);
            maxLive.accumulateAndGet(allocator.liveDirectBytes(), Math::max);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed[0] = status;
          }
        },
        new Metadata());
    call.sendMessage(GrpcBackend.sourceRequest(total, 64 * 1024));
    call.halfClose();
    // A slow reader: one 64 KiB message at a time, asked for only after the last was counted and
    // the forwarder's memory looked at (a reader of ~0.5 GB/s at most, the forwarder's loops free).
    long asked = 0;
    while (received.get() < total && closed[0] == null) {
      if (asked * 64 * 1024 <= received.get()) {
        call.request(1);
        asked++;
      }
      maxLive.accumulateAndGet(allocator.liveDirectBytes(), Math::max);
      Thread.onSpinWait();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> closed[0] != null);
    assertThat(closed[0].getCode()).isEqualTo(Status.Code.OK);
    assertThat(received).hasValue(total);
    // Windows: 256 KiB per stream and 1 MiB per connection on each side, plus one read in flight.
    assertThat(maxLive.get()).isLessThan(8L << 20);
  }

  @Test
  void clientAndBidiStreamingPassBothWays() throws Exception {
    ManagedChannel ch = channel(listener(1, allThree(), true));
    byte[][] sum = {null};
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    StreamObserver<byte[]> up =
        ClientCalls.asyncClientStreamingCall(
            ch.newCall(
                GrpcBackend.SUM, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
            observer(v -> sum[0] = v, done));
    for (int i = 0; i < 2000; i++) {
      up.onNext(new byte[4096]);
    }
    up.onCompleted();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ByteBuffer.wrap(sum[0]).getLong()).isEqualTo(2000L * 4096);

    List<String> echoed = new CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch echoDone = new java.util.concurrent.CountDownLatch(1);
    StreamObserver<byte[]> bidi =
        ClientCalls.asyncBidiStreamingCall(
            ch.newCall(
                GrpcBackend.ECHO, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
            observer(v -> echoed.add(new String(v, StandardCharsets.UTF_8)), echoDone));
    for (int i = 0; i < 100; i++) {
      bidi.onNext(("m" + i).getBytes(StandardCharsets.UTF_8));
      int want = i + 1;
      await().atMost(Duration.ofSeconds(10)).until(() -> echoed.size() == want); // a real ping-pong
    }
    bidi.onCompleted();
    assertThat(echoDone.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(echoed).hasSize(100).startsWith("m0").endsWith("m99");
  }

  @Test
  void statusesAndTrailersArriveUnchanged() throws Exception {
    ManagedChannel ch = channel(listener(1, target(backends.get(1)), true));
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    ch,
                    GrpcBackend.FAIL,
                    CallOptions.DEFAULT,
                    "9".getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).isEqualTo("nope");
              assertThat(e.getTrailers().get(GrpcBackend.TRAILER)).isEqualTo("kept from b2");
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> statuses.contains("/test.Backend/Fail 9"));
  }

  @Test
  void deadlinesAndCancellationsReachTheEndpoint() throws Exception {
    GrpcBackend b = backends.get(0);
    ManagedChannel ch = channel(listener(1, target(b), true));
    who(ch); // connected both ways: the deadline below is the call's alone
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    ch,
                    GrpcBackend.HOLD,
                    CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS),
                    new byte[0]))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    await().atMost(Duration.ofSeconds(10)).until(() -> b.cancellations.get() == 1);

    ClientCall<byte[], byte[]> call = ch.newCall(GrpcBackend.HOLD, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {}, new Metadata());
    call.sendMessage(new byte[0]);
    call.halfClose();
    call.request(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.calls.get() == 3);
    call.cancel("the test is done with it", null);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.cancellations.get() == 2);
  }

  @Test
  void anEndpointsGoAwayAndAKilledEndpointFailNoCallThatHadNotStartedThere() throws Exception {
    ManagedChannel ch = channel(listener(1, allThree(), true));
    assertThat(spread(ch, 300)).hasSize(3); // connections to all three exist
    GrpcBackend b1 = backends.get(0);
    b1.shutdown(); // GOAWAY; its listening socket closes
    // spread() fails on any failed call. Calls that reached b1 before its GOAWAY reached us are
    // answered by it (gRPC's graceful GOAWAY comes after a PING round trip): allowed.
    assertThat(spread(ch, 600)).containsKeys("b2", "b3");
    await().atMost(Duration.ofSeconds(10)).until(() -> b1.transportsActive.get() == 0);
    assertThat(spread(ch, 600)).containsOnlyKeys("b2", "b3");
    backends.get(1).kill(); // connections cut
    assertThat(spread(ch, 600)).containsOnlyKeys("b3");
  }

  @Test
  void scalingUpFromOneToThreeReachesTheNewEndpointsOnTheSameClientConnection() throws Exception {
    Listener l = listener(1, target(backends.get(0)), true);
    ManagedChannel ch = channel(l);
    assertThat(spread(ch, 100)).containsOnlyKeys("b1");
    l.update(allThree()).get(5, TimeUnit.SECONDS);
    Map<String, Integer> after = spread(ch, 900);
    assertThat(after).containsOnlyKeys("b1", "b2", "b3");
    assertThat(after.values()).allSatisfy(n -> assertThat(n).isBetween(200, 400));
  }

  @Test
  void aRemovedEndpointGetsGoAwayWhileItsOpenCallFinishes() throws Exception {
    GrpcBackend b1 = backends.get(0);
    Listener l = listener(1, target(b1), true);
    ManagedChannel ch = channel(l);
    var held =
        ClientCalls.futureUnaryCall(
            ch.newCall(
                GrpcBackend.HOLD, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
            new byte[0]);
    await().atMost(Duration.ofSeconds(10)).until(() -> b1.calls.get() == 1);
    l.update(target(backends.get(1))).get(5, TimeUnit.SECONDS);
    assertThat(spread(ch, 50)).containsOnlyKeys("b2");
    b1.release();
    assertThat(new String(held.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("b1");
    await().atMost(Duration.ofSeconds(10)).until(() -> b1.transportsActive.get() == 0);
  }

  @Test
  void aCallNoEndpointCanTakeIsAnsweredUnavailableByTheForwarder() throws Exception {
    Listener l = listener(1, target(backends.get(0)), true);
    ManagedChannel ch = channel(l);
    assertThat(who(ch)).isEqualTo("b1");
    l.update(ServiceTarget.EMPTY).get(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> who(ch))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).isEqualTo("switchboard: no endpoint");
            });
    GrpcBackend gone = backends.get(1);
    l.update(target(gone)).get(5, TimeUnit.SECONDS);
    gone.kill(); // its port refuses connections now
    assertThatThrownBy(() -> who(ch))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("switchboard: no endpoint connection");
            });
    l.update(target(backends.get(2))).get(5, TimeUnit.SECONDS);
    assertThat(who(ch)).isEqualTo("b3"); // the client's connection was never the casualty
  }

  @Test
  void aFullEndpointConnectionMakesThePoolOpenAnother() throws Exception {
    GrpcBackend narrow =
        GrpcBackend.start("127.0.10.59", "narrow", b -> b.maxConcurrentCallsPerConnection(2));
    backends.add(narrow);
    ManagedChannel ch = channel(listener(1, target(narrow), true));
    who(ch); // one endpoint connection, and its SETTINGS known
    List<com.google.common.util.concurrent.ListenableFuture<byte[]>> held = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      held.add(
          ClientCalls.futureUnaryCall(
              ch.newCall(
                  GrpcBackend.HOLD, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
              new byte[0]));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> narrow.calls.get() == 7);
    assertThat(narrow.transportsOpened.get()).isGreaterThanOrEqualTo(3);
    narrow.release();
    for (var f : held) {
      assertThat(new String(f.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8))
          .isEqualTo("narrow");
    }
  }

  private static StreamObserver<byte[]> observer(
      java.util.function.Consumer<byte[]> onNext, java.util.concurrent.CountDownLatch done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        onNext.accept(value);
      }

      @Override
      public void onError(Throwable t) {
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    };
  }
}
