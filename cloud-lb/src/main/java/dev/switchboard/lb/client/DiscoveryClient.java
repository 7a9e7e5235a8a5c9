package dev.switchboard.lb.client;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load balancer's end of the Discovery stream (role LOAD_BALANCER): says hello with the version
 * it holds, hands each complete batch to a {@link Handler}, ACKs it (or NACKs with what could not be
 * applied), and reconnects with backoff whenever the stream ends, resuming from its last version so
 * that the control plane sends only the difference.
 *
 * <p>The node agent has a client of its own for the same protocol; modules do not import each other,
 * and the two differ in what they apply (see the cloud-lb README).
 *
 * <p>Threading: every gRPC callback runs on {@code executor} (the load balancer's control thread), and so
 * does everything here; no locks. Responses are requested one at a time, so a burst waits in gRPC's
 * flow-control window rather than in the executor's queue.
 */
public final class DiscoveryClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryClient.class);

    /** What the client feeds; called on the executor. */
    public interface Handler {

        /** Applies a complete batch; returns "" when all of it is served, else what is not and why (NACK). */
        String apply(Batch batch);

        /** The version held, sent in the hello; 0 when nothing is held. */
        long version();
    }

    private final DiscoveryGrpc.DiscoveryStub stub;
    private final ManagedChannel channel;
    private final ScheduledExecutorService executor;
    private final Backoff backoff;
    private final String name;
    private final Handler handler;

    /** Confined to the executor. */
    private final Batch.Assembler assembler = new Batch.Assembler();
    private Call current;
    private int failures;
    private boolean closed;
    private String lastNonce;
    private long lastVersion;
    private String lastDetail = "";
    private volatile boolean connected;

    public DiscoveryClient(ManagedChannel channel, ScheduledExecutorService executor, Backoff backoff, String name,
                           Handler handler) {
        this.channel = channel;
        this.stub = DiscoveryGrpc.newStub(channel).withExecutor(executor);
        this.executor = executor;
        this.backoff = backoff;
        this.name = name;
        this.handler = handler;
    }

    public void start() {
        executor.execute(this::connect);
    }

    /** True while a stream has delivered a response and not ended since. */
    public boolean connected() {
        return connected;
    }

    /**
     * What is served changed without a response (a bind that failed succeeded, or the reverse): re-ACKs
     * the last response with the new detail. On the executor.
     */
    public void reportError(String detail) {
        if (current != null && lastNonce != null && !detail.equals(lastDetail)) {
            current.ack(lastNonce, lastVersion, detail);
        }
    }

    private void connect() {
        if (closed) {
            return;
        }
        channel.resetConnectBackoff(); // our backoff decides when to try; gRPC's must not add to it
        Call call = new Call();
        current = call;
        lastNonce = null;
        assembler.reset();
        stub.stream(call);
        long version = handler.version();
        log.info("discovery: connecting as load balancer {} (version {})", name, version);
        call.send(DiscoveryRequest.newBuilder().setHello(Hello.newBuilder()
                .setNodeName(name).setRole(Role.LOAD_BALANCER).setLastVersion(version)).build());
    }

    private void received(Call call, DiscoveryResponse response) {
        if (call != current || closed) {
            return;
        }
        if (!connected) {
            connected = true;
            failures = 0;
            log.info("discovery: connected; first response version {} ({})", response.getVersion(),
                    response.getSnapshot() ? "snapshot" : "delta");
        }
        Batch batch = assembler.add(response);
        if (batch != null) {
            String detail;
            try {
                detail = handler.apply(batch);
            } catch (RuntimeException e) {
                log.error("discovery: applying version {} failed", batch.version(), e);
                detail = "load balancer error: " + e;
            }
            call.ack(response.getNonce(), response.getVersion(), detail);
        }
        call.requestNext();
    }

    private void ended(Call call, Throwable error) {
        if (call != current) {
            return;
        }
        current = null;
        connected = false;
        assembler.reset(); // an incomplete batch is resent after reconnecting
        if (closed) {
            return;
        }
        failures++;
        Duration delay = backoff.delay(failures);
        Status status = error == null ? Status.OK : Status.fromThrowable(error);
        log.warn("discovery: stream ended ({}{}); reconnecting in {} ms (attempt {})", status.getCode(),
                status.getDescription() == null ? "" : ": " + status.getDescription(), delay.toMillis(), failures);
        executor.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Ends the stream; waits up to 5 s for the executor to do it. Any thread but the executor. */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
            closed = true;
            connected = false;
            if (current != null) {
                current.finish();
                current = null;
            }
            done.complete(null);
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("discovery: close did not complete: {}", e.toString());
        }
    }

    /** One stream attempt. On the executor. */
    private final class Call implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
        private ClientCallStreamObserver<DiscoveryRequest> requests;
        private boolean done;

        @Override
        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requestStream) {
            this.requests = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
        }

        void send(DiscoveryRequest request) {
            if (done) {
                return;
            }
            try {
                // One small ACK per requested response: what can queue here is bounded.
                requests.onNext(request);
            } catch (RuntimeException e) {
                log.debug("discovery: send failed: {}", e.toString());
            }
        }

        void ack(String nonce, long version, String detail) {
            lastNonce = nonce;
            lastVersion = version;
            lastDetail = detail;
            if (!detail.isEmpty()) {
                log.warn("discovery: NACK version {}: {}", version, detail);
            }
            send(DiscoveryRequest.newBuilder().setAck(Ack.newBuilder().setNonce(nonce).setVersion(version)
                    .setErrorDetail(detail)).build());
        }

        void requestNext() {
            if (!done) {
                requests.request(1);
            }
        }

        void finish() {
            if (!done) {
                done = true;
                try {
                    requests.onCompleted();
                } catch (RuntimeException e) {
                    requests.cancel("load balancer closing", e);
                }
            }
        }

        @Override
        public void onNext(DiscoveryResponse response) {
            received(this, response);
        }

        @Override
        public void onError(Throwable t) {
            done = true;
            ended(this, t);
        }

        @Override
        public void onCompleted() {
            done = true;
            ended(this, null);
        }
    }
}
