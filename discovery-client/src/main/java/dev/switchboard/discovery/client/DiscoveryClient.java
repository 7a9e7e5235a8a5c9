package dev.switchboard.discovery.client;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of the Discovery stream: says hello with the version it holds, hands every
 * complete batch to a {@link Handler}, ACKs or NACKs each response once the handler has applied it,
 * and reconnects with backoff whenever the stream ends, resuming from its last version.
 *
 * <p>Threading: every gRPC callback runs on {@code executor} (the agent's single executor), and so
 * does everything here; there are no locks. Inbound flow control is manual: the next response is
 * requested only once the previous one has been handed over, so a burst of deltas waits in gRPC's
 * flow-control window instead of piling up in the executor's queue.
 */
public final class DiscoveryClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DiscoveryClient.class);

  /** What the client feeds. Called on the client's executor. */
  public interface Handler {

    /**
     * Applies a complete batch to the agent's state. The returned future completes once the batch
     * is programmed, with "" or the reason something could not be (sent as a NACK).
     */
    CompletableFuture<String> apply(Batch batch);

    /** The version of the state held, sent in the hello; 0 when nothing is held. */
    long version();

    /** What is currently not programmed, "" when everything is: reported with chunk ACKs. */
    String currentError();
  }

  private final Supplier<ManagedChannel> channels;
  private final ScheduledExecutorService executor;
  private final Backoff backoff;
  private final Hello hello;
  private final Handler handler;

  /** Confined to the executor. */
  private final BatchAssembler assembler = new BatchAssembler();

  /** The channel of the current attempt; replaced after every failed one. */
  private ManagedChannel channel;

  private Call current;
  private int failures;
  private boolean closed;

  /** The last response answered on the current stream, re-ACKed when the error state changes. */
  private String lastNonce;

  private long lastAckedVersion;
  private String lastReported = "";
  private volatile boolean connected;

  /**
   * @param channels makes the channel of an attempt. A new channel per attempt after a failure
   *     makes every attempt one real connection attempt, timed by {@code backoff} alone: a channel
   *     that failed stays in TRANSIENT_FAILURE and fails new calls at once until its own (longer,
   *     uncontrolled) reconnect backoff has passed.
   * @param hello node name, address, role and labels; its last_version is filled in per attempt
   */
  public DiscoveryClient(
      Supplier<ManagedChannel> channels,
      ScheduledExecutorService executor,
      Backoff backoff,
      Hello hello,
      Handler handler) {
    this.channels = channels;
    this.executor = executor;
    this.backoff = backoff;
    this.hello = hello;
    this.handler = handler;
  }

  /** Opens the first stream. */
  public void start() {
    executor.execute(this::connect);
  }

  /** True while a stream has delivered a response and not ended since. */
  public boolean connected() {
    return connected;
  }

  /**
   * Tells the control plane that what is programmed changed without a response (a retry of a failed
   * listener succeeded, or failed differently): re-ACKs the last response with the new error
   * detail. On the executor.
   */
  public void reportError(String error) {
    if (current != null && lastNonce != null && !error.equals(lastReported)) {
      current.ack(lastNonce, lastAckedVersion, error);
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    if (channel == null) {
      channel = channels.get();
    }
    Call call = new Call();
    current = call;
    lastNonce = null;
    assembler.reset();
    DiscoveryGrpc.newStub(channel).withExecutor(executor).stream(call);
    Hello withVersion = hello.toBuilder().setLastVersion(handler.version()).build();
    log.info(
        "discovery: connecting as {} (version {})",
        hello.getNodeName(),
        withVersion.getLastVersion());
    call.send(DiscoveryRequest.newBuilder().setHello(withVersion).build());
  }

  private void streamEnded(Call call, Throwable error) {
    if (call != current) {
      return;
    }
    current = null;
    connected = false;
    if (assembler.inProgress()) {
      log.info("discovery: dropping an incomplete batch; it is resent after reconnecting");
    }
    assembler.reset();
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
    if (closed) {
      return;
    }
    failures++;
    Duration delay = backoff.delay(failures);
    Status status = error == null ? Status.OK : Status.fromThrowable(error);
    log.warn(
        "discovery: stream ended ({}{}); reconnecting in {} ms (attempt {})",
        status.getCode(),
        status.getDescription() == null ? "" : ": " + status.getDescription(),
        delay.toMillis(),
        failures);
    executor.schedule(this::connect, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void received(Call call, DiscoveryResponse response) {
    if (call != current || closed) {
      return;
    }
    if (!connected) {
      connected = true;
      failures = 0;
      log.info(
          "discovery: connected; first response version {} ({})",
          response.getVersion(),
          response.getSnapshot() ? "snapshot" : "delta");
    }
    Optional<Batch> batch = assembler.add(response);
    if (batch.isEmpty()) {
      // A chunk: held until the batch is complete; its version is still the old one.
      call.ack(response.getNonce(), response.getVersion(), handler.currentError());
      call.requestNext();
      return;
    }
    CompletableFuture<String> programmed;
    try {
      programmed = handler.apply(batch.get());
    } catch (RuntimeException e) {
      log.error("discovery: applying version {} failed", response.getVersion(), e);
      programmed = CompletableFuture.completedFuture("agent error: " + e);
    }
    programmed.whenCompleteAsync(
        (error, failure) -> {
          String detail = failure != null ? "agent error: " + failure : error;
          if (call == current) {
            call.ack(response.getNonce(), response.getVersion(), detail);
          }
        },
        executor);
    call.requestNext();
  }

  @Override
  public void close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          closed = true;
          Call call = current;
          current = null;
          connected = false;
          if (call != null) {
            call.finish();
          }
          if (channel != null) {
            channel.shutdown();
          }
          done.complete(null);
        });
    try {
      done.get(5, TimeUnit.SECONDS);
      ManagedChannel last = channel;
      if (last != null && !last.awaitTermination(2, TimeUnit.SECONDS)) {
        last.shutdownNow();
      }
    } catch (Exception e) {
      log.debug("discovery: close did not complete: {}", e.toString());
    }
  }

  /** One stream attempt. */
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
        // ACKs are tiny and one per response, and responses are requested one at a time, so
        // what may queue here is bounded: no need to wait for isReady().
        requests.onNext(request);
      } catch (RuntimeException e) {
        log.debug("discovery: send failed: {}", e.toString());
      }
    }

    void ack(String nonce, long version, String errorDetail) {
      lastNonce = nonce;
      lastAckedVersion = version;
      lastReported = errorDetail;
      if (!errorDetail.isEmpty()) {
        log.warn("discovery: NACK version {}: {}", version, errorDetail);
      }
      send(
          DiscoveryRequest.newBuilder()
              .setAck(
                  Ack.newBuilder().setNonce(nonce).setVersion(version).setErrorDetail(errorDetail))
              .build());
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
          requests.cancel("agent closing", e);
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
      streamEnded(this, t);
    }

    @Override
    public void onCompleted() {
      done = true;
      streamEnded(this, null);
    }
  }
}
