package dev.switchboard.discovery.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's side of the protocol, against a scripted Discovery server on a real socket. */
@Timeout(30)
class DiscoveryClientTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** One stream as the server sees it. */
  private static final class ServerStream {
    final BlockingQueue<DiscoveryRequest> requests = new LinkedBlockingQueue<>();
    volatile StreamObserver<DiscoveryResponse> responses;

    DiscoveryRequest next() throws InterruptedException {
      DiscoveryRequest r = requests.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("a request from the client").isNotNull();
      return r;
    }
  }

  /** Records batches; answers each with the future the test sets. */
  private static final class RecordingHandler implements DiscoveryClient.Handler {
    final List<Batch> batches = new CopyOnWriteArrayList<>();
    volatile String result = "";
    volatile long version;

    @Override
    public CompletableFuture<String> apply(Batch batch) {
      batches.add(batch);
      version = batch.version();
      return CompletableFuture.completedFuture(result);
    }

    @Override
    public long version() {
      return version;
    }

    @Override
    public String currentError() {
      return "";
    }
  }

  private final BlockingQueue<ServerStream> streams = new LinkedBlockingQueue<>();
  private final List<Integer> backoffCalls = new CopyOnWriteArrayList<>();
  private final RecordingHandler handler = new RecordingHandler();
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private Server server;
  private DiscoveryClient client;

  @BeforeEach
  void start() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new DiscoveryGrpc.DiscoveryImplBase() {
                  @Override
                  public StreamObserver<DiscoveryRequest> stream(
                      StreamObserver<DiscoveryResponse> responses) {
                    ServerStream s = new ServerStream();
                    s.responses = responses;
                    streams.add(s);
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryRequest r) {
                        s.requests.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        responses.onCompleted(); // as the control plane does when an agent leaves
                      }
                    };
                  }
                })
            .build()
            .start();
    int port = server.getPort();
    client =
        new DiscoveryClient(
            () -> NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build(),
            executor,
            failures -> {
              backoffCalls.add(failures);
              return Duration.ofMillis(10);
            },
            Hello.newBuilder()
                .setNodeName("n1")
                .setNodeAddress("127.0.1.1")
                .setRole(Role.AGENT)
                .build(),
            handler);
    client.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    client.close();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    executor.shutdownNow();
  }

  private static Resource node(String name) {
    return Resource.newBuilder()
        .setNode(Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name)))
        .build();
  }

  private static DiscoveryResponse response(
      String nonce, long version, boolean snapshot, boolean more, Resource... resources) {
    return DiscoveryResponse.newBuilder()
        .setNonce(nonce)
        .setVersion(version)
        .setSnapshot(snapshot)
        .setMore(more)
        .addAllResources(List.of(resources))
        .build();
  }

  private static Ack ack(ServerStream s) throws InterruptedException {
    DiscoveryRequest r = s.next();
    assertThat(r.hasAck()).as(r.toString()).isTrue();
    return r.getAck();
  }

  @Test
  void chunksMakeOneBatchEachIsAckedAndOnlyTheLastCarriesTheVersion() throws Exception {
    ServerStream s = streams.poll(10, TimeUnit.SECONDS);
    Hello hello = s.next().getHello();
    assertThat(hello.getNodeName()).isEqualTo("n1");
    assertThat(hello.getLastVersion()).isZero();

    s.responses.onNext(response("1", 0, true, true, node("a")));
    assertThat(ack(s)).isEqualTo(Ack.newBuilder().setNonce("1").setVersion(0).build());
    assertThat(handler.batches).isEmpty();

    s.responses.onNext(response("2", 7, false, false, node("b")));
    assertThat(ack(s)).isEqualTo(Ack.newBuilder().setNonce("2").setVersion(7).build());
    assertThat(handler.batches)
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.snapshot()).isTrue();
              assertThat(b.version()).isEqualTo(7);
              assertThat(b.resources()).containsExactly(node("a"), node("b"));
            });
    assertThat(client.connected()).isTrue();
  }

  @Test
  void whatCannotBeProgrammedIsNackedWithTheReasonAndTheVersionStillAdvances() throws Exception {
    ServerStream s = streams.poll(10, TimeUnit.SECONDS);
    s.next();
    handler.result =
        "service default/web port http (NodePort TCP 127.0.1.1:30080): cannot bind: in use";
    s.responses.onNext(response("1", 5, true, false, node("a")));
    assertThat(ack(s))
        .isEqualTo(
            Ack.newBuilder().setNonce("1").setVersion(5).setErrorDetail(handler.result).build());
    assertThat(handler.version()).isEqualTo(5);
  }

  @Test
  void aBrokenStreamDropsItsIncompleteBatchAndTheNextHelloResumesFromTheLastVersion()
      throws Exception {
    ServerStream first = streams.poll(10, TimeUnit.SECONDS);
    first.next();
    first.responses.onNext(response("1", 9, true, false, node("a")));
    ack(first);
    first.responses.onNext(
        response("2", 9, false, true, node("b"))); // a chunk, then the stream breaks
    ack(first);
    first.responses.onError(
        Status.UNAVAILABLE.withDescription("replica going away").asRuntimeException());

    ServerStream second = streams.poll(10, TimeUnit.SECONDS);
    assertThat(second).as("a reconnection").isNotNull();
    assertThat(second.next().getHello().getLastVersion()).isEqualTo(9);
    assertThat(backoffCalls).containsExactly(1);
    assertThat(handler.batches).hasSize(1); // the half-received one was never applied
    await().atMost(WAIT).until(() -> !client.connected());

    second.responses.onNext(response("3", 12, false, false, node("c")));
    assertThat(ack(second).getVersion()).isEqualTo(12);
    assertThat(client.connected()).isTrue();
    second.responses.onError(Status.UNAVAILABLE.asRuntimeException());
    assertThat(streams.poll(10, TimeUnit.SECONDS).next().getHello().getLastVersion()).isEqualTo(12);
    assertThat(backoffCalls).containsExactly(1, 1); // reset by the response on the second stream
  }
}
