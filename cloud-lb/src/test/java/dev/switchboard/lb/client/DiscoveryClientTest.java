package dev.switchboard.lb.client;

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
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load balancer's side of the protocol, against a scripted Discovery server on a real socket. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DiscoveryClientTest {

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

    private final BlockingQueue<ServerStream> streams = new LinkedBlockingQueue<>();
    private final List<Batch> applied = new CopyOnWriteArrayList<>();
    private final List<Integer> backoffCalls = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    private volatile String nack = "";
    private volatile long version;
    private Server server;
    private ManagedChannel channel;
    private DiscoveryClient client;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new DiscoveryGrpc.DiscoveryImplBase() {
                    @Override
                    public StreamObserver<DiscoveryRequest> stream(StreamObserver<DiscoveryResponse> responses) {
                        ServerStream s = new ServerStream();
                        s.responses = responses;
                        streams.add(s);
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(DiscoveryRequest r) {
                                s.requests.add(r);
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        };
                    }
                }).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        client = new DiscoveryClient(channel, executor, failures -> {
            backoffCalls.add(failures);
            return Duration.ofMillis(10);
        }, "lb-1", new DiscoveryClient.Handler() {
            @Override
            public String apply(Batch batch) {
                applied.add(batch);
                version = batch.version();
                return nack;
            }

            @Override
            public long version() {
                return version;
            }
        });
        client.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        channel.shutdownNow();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        executor.shutdownNow();
    }

    private static Resource node(String name) {
        return Resource.newBuilder().setNode(Node.newBuilder().setMetadata(ObjectMeta.newBuilder().setName(name))
                .setAddress("127.0.1.1").setReady(true)).build();
    }

    private static DiscoveryResponse response(long version, String nonce, boolean snapshot, boolean more,
                                              Resource... resources) {
        return DiscoveryResponse.newBuilder().setVersion(version).setNonce(nonce).setSnapshot(snapshot)
                .setMore(more).addAllResources(List.of(resources)).build();
    }

    @Test
    void saysHelloAsALoadBalancerAppliesWholeBatchesAndAcksThem() throws Exception {
        ServerStream s = streams.poll(10, TimeUnit.SECONDS);
        Hello hello = s.next().getHello();
        assertThat(hello.getRole()).isEqualTo(Role.LOAD_BALANCER);
        assertThat(hello.getNodeName()).isEqualTo("lb-1");
        assertThat(hello.getLastVersion()).isZero();

        // A snapshot in two chunks: nothing is applied or ACKed before the last.
        s.responses.onNext(response(0, "1", true, true, node("a")));
        s.responses.onNext(response(7, "2", false, false, node("b")));
        Ack ack = s.next().getAck();
        assertThat(ack.getNonce()).isEqualTo("2");
        assertThat(ack.getVersion()).isEqualTo(7);
        assertThat(ack.getErrorDetail()).isEmpty();
        assertThat(applied).singleElement().satisfies(b -> {
            assertThat(b.snapshot()).isTrue();
            assertThat(b.resources()).containsExactly(node("a"), node("b"));
            assertThat(b.version()).isEqualTo(7);
        });
        assertThat(client.connected()).isTrue();

        // What cannot be served is NACKed; the version still advances.
        nack = "default/web: spec.loadBalancerIP: \"\" (expected: an allocated IPv4 address)";
        s.responses.onNext(response(9, "3", false, false, node("c")));
        Ack nacked = s.next().getAck();
        assertThat(nacked.getNonce()).isEqualTo("3");
        assertThat(nacked.getVersion()).isEqualTo(9);
        assertThat(nacked.getErrorDetail()).isEqualTo(nack);

        // Fixed later without a response: re-ACKed with the new detail.
        executor.execute(() -> client.reportError(""));
        Ack fixed = s.next().getAck();
        assertThat(fixed.getNonce()).isEqualTo("3");
        assertThat(fixed.getErrorDetail()).isEmpty();
    }

    @Test
    void reconnectsWithBackoffAndResumesFromTheLastVersion() throws Exception {
        ServerStream first = streams.poll(10, TimeUnit.SECONDS);
        first.next();
        first.responses.onNext(response(0, "1", true, true, node("a"))); // an incomplete batch...
        first.responses.onError(Status.UNAVAILABLE.withDescription("replica going away").asRuntimeException());

        ServerStream second = streams.poll(10, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(second.next().getHello().getLastVersion()).isZero(); // ...is dropped, not applied
        assertThat(applied).isEmpty();
        second.responses.onNext(response(5, "2", true, false, node("a")));
        second.next();
        second.responses.onCompleted();

        ServerStream third = streams.poll(10, TimeUnit.SECONDS);
        assertThat(third.next().getHello().getLastVersion()).isEqualTo(5);
        // The failure count went back to 1 once a stream delivered.
        await().atMost(Duration.ofSeconds(5)).until(() -> backoffCalls.size() == 2);
        assertThat(backoffCalls).containsExactly(1, 1);
    }
}
