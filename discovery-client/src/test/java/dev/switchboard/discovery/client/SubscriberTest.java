package dev.switchboard.discovery.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop both components share: batches are applied to the state, syncs are merged, and each
 * sync's result answers every batch it covered; without a batch, only a changed result is sent.
 * Against a scripted Discovery server, in process.
 */
@Timeout(30)
class SubscriberTest {
  private static final Duration MIN_SYNC_INTERVAL = Duration.ofMillis(300);

  /** Records what the subscriber asks of it; each sync returns {@link #result}. */
  private static final class RecordingState implements Subscriber.State {
    final List<Long> applied = new CopyOnWriteArrayList<>();
    final AtomicInteger syncs = new AtomicInteger();
    volatile String result = "";
    volatile long version;

    @Override
    public void apply(Batch batch) {
      applied.add(batch.version());
      version = batch.version();
    }

    @Override
    public long version() {
      return version;
    }

    @Override
    public String sync() {
      syncs.incrementAndGet();
      return result;
    }
  }

  private final String name = InProcessServerBuilder.generateName();
  private final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final RecordingState state = new RecordingState();
  private volatile StreamObserver<DiscoveryResponse> responses;
  private Server server;
  private Subscriber subscriber;

  @BeforeEach
  void start() throws IOException, InterruptedException {
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new DiscoveryGrpc.DiscoveryImplBase() {
                  @Override
                  public StreamObserver<DiscoveryRequest> stream(
                      StreamObserver<DiscoveryResponse> out) {
                    responses = out;
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryRequest r) {
                        requests.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    subscriber =
        new Subscriber(
            () -> InProcessChannelBuilder.forName(name).directExecutor().build(),
            executor,
            new Subscriber.Options(
                "test",
                Hello.newBuilder().setNodeName("node-1").setRole(Role.AGENT).build(),
                failures -> Duration.ofMillis(50),
                MIN_SYNC_INTERVAL,
                Duration.ofHours(1)),
            state,
            Telemetry.disabled());
    subscriber.start();
    assertThat(next().hasHello()).isTrue();
  }

  @AfterEach
  void stop() throws InterruptedException {
    subscriber.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    executor.shutdownNow();
  }

  @Test
  void batchesThatArriveWhileASyncWaitsAreAnsweredByThatOneSync() throws InterruptedException {
    send(1, "n1");
    assertThat(next().getAck().getNonce()).isEqualTo("n1");
    state.result = "default/web:http: cannot bind 127.0.0.1:80";
    send(2, "n2");
    send(3, "n3");

    DiscoveryRequest first = next();
    DiscoveryRequest second = next();
    assertThat(List.of(first.getAck().getNonce(), second.getAck().getNonce()))
        .containsExactly("n2", "n3");
    assertThat(List.of(first.getAck().getErrorDetail(), second.getAck().getErrorDetail()))
        .containsOnly("default/web:http: cannot bind 127.0.0.1:80");
    assertThat(state.applied).containsExactly(1L, 2L, 3L);
    assertThat(state.syncs).hasValue(2); // one for n1, one for n2 and n3 together
    assertThat(subscriber.lastError()).isEqualTo("default/web:http: cannot bind 127.0.0.1:80");
  }

  @Test
  void aSyncWithoutABatchReportsOnlyAChangedResult() throws InterruptedException {
    send(1, "n1");
    assertThat(next().getAck().getErrorDetail()).isEmpty();

    subscriber.requestSync(); // nothing changed: nothing to tell
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(state.syncs).hasValue(2));
    state.result = "node-2: connect refused";
    subscriber.requestSync(); // a retry that failed differently: the last response, ACKed again

    DiscoveryRequest again = next();
    assertThat(again.getAck().getNonce()).isEqualTo("n1");
    assertThat(again.getAck().getVersion()).isEqualTo(1);
    assertThat(again.getAck().getErrorDetail()).isEqualTo("node-2: connect refused");
    assertThat(requests.poll(MIN_SYNC_INTERVAL.toMillis() * 2, TimeUnit.MILLISECONDS)).isNull();
  }

  private void send(long version, String nonce) {
    responses.onNext(DiscoveryResponse.newBuilder().setVersion(version).setNonce(nonce).build());
  }

  private DiscoveryRequest next() throws InterruptedException {
    DiscoveryRequest r = requests.poll(10, TimeUnit.SECONDS);
    assertThat(r).as("a request from the subscriber").isNotNull();
    return r;
  }
}
