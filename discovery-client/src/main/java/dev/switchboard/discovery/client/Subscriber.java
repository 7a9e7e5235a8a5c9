package dev.switchboard.discovery.client;

import dev.switchboard.telemetry.ProgrammingTelemetry;
import dev.switchboard.telemetry.Telemetry;
import dev.switchboard.v1.Hello;
import io.grpc.ManagedChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * A subscriber's loop from the stream to what it programs, the same for the node agent and
 * cloud-lb: the {@link DiscoveryClient} hands each complete batch to the component's {@link State};
 * one {@link BoundedFrequencyRunner} merges the syncs that batches, the component's own events (a
 * bind retried, a node failing its checks) and the periodic resync ask for; a sync's result answers
 * every batch it covered (ACK, or NACK with the detail), and when it covered none but the result
 * changed, the last response is ACKed again with it.
 *
 * <p>The split follows grpc-java's xDS client: the transport, ACK bookkeeping and tracing of a
 * batch live here, what the resources mean lives in the component.
 *
 * <p>Threading: {@link State}'s methods and everything behind them run on {@code executor} (the
 * component's control thread). {@link #requestSync()} may be called from any thread.
 */
public final class Subscriber implements AutoCloseable {

  /** What the component holds and programs. Every method is called on the executor. */
  public interface State {

    /** Applies a complete batch to what is held; programming it is the next {@link #sync()}'s. */
    void apply(Batch batch);

    /** The version held, sent in the hello; 0 when nothing is held. */
    long version();

    /**
     * Programs what changed since the last sync (and retries what failed).
     *
     * @return "" when everything held is programmed, else what is not (the NACK detail)
     */
    String sync();
  }

  /**
   * @param component {@code node-agent} or {@code cloud-lb}: the role in spans and metrics
   * @param hello node name, address, role and labels; its last_version is filled in per attempt
   * @param backoff reconnection delays
   * @param minSyncInterval syncs start at least this far apart (zero: as soon as asked)
   * @param resyncInterval a sync also runs this long after the last one, without a request
   */
  public record Options(
      String component,
      Hello hello,
      Backoff backoff,
      Duration minSyncInterval,
      Duration resyncInterval) {
    public Options {
      Objects.requireNonNull(component, () -> "component: null (expected: non-null)");
      Objects.requireNonNull(hello, () -> "hello: null (expected: non-null)");
      Objects.requireNonNull(backoff, () -> "backoff: null (expected: non-null)");
    }
  }

  private final State state;
  private final BoundedFrequencyRunner runner;
  private final DiscoveryClient client;

  /** Null when telemetry is off. */
  private final ProgrammingTelemetry programming;

  /** Batches applied and not yet covered by a sync. On the executor. */
  private final List<CompletableFuture<String>> waiting = new ArrayList<>();

  /** The last sync's result. Written on the executor, read by status pages on any thread. */
  private volatile String lastError = "";

  /**
   * @param channels makes the channel of each connection attempt (see {@link DiscoveryClient})
   * @param executor the component's control thread: a single-threaded scheduler
   * @param telemetry traces each batch from arrival to programmed and records network-programming
   *     latency, when enabled; closed by the caller
   */
  public Subscriber(
      Supplier<ManagedChannel> channels,
      ScheduledExecutorService executor,
      Options options,
      State state,
      Telemetry telemetry) {
    this.state = Objects.requireNonNull(state, () -> "state: null (expected: non-null)");
    this.programming =
        telemetry.enabled()
            ? new ProgrammingTelemetry(
                telemetry, options.component(), options.hello().getNodeName(), Clock.systemUTC())
            : null;
    this.runner =
        new BoundedFrequencyRunner(
            "sync " + options.hello().getNodeName(),
            this::sync,
            options.minSyncInterval(),
            options.resyncInterval(),
            executor,
            System::nanoTime);
    this.client =
        new DiscoveryClient(channels, executor, options.backoff(), options.hello(), new Handler());
  }

  /** Opens the first stream; returns at once. */
  public void start() {
    client.start();
  }

  /** Asks for one sync; requests made before it starts merge into it. Any thread. */
  public void requestSync() {
    runner.run();
  }

  /** True while a stream has delivered a response and not ended since. */
  public boolean connected() {
    return client.connected();
  }

  /** What the last sync could not program ("" when all is well): the last (N)ACK's detail. */
  public String lastError() {
    return lastError;
  }

  /** Stops following the control plane and stops syncing; a sync in flight finishes. */
  @Override
  public void close() {
    client.close();
    runner.close();
  }

  /** Run by the runner, on the executor. */
  private void sync() {
    String error = state.sync();
    boolean changed = !error.equals(lastError);
    lastError = error;
    if (!waiting.isEmpty()) {
      List<CompletableFuture<String>> covered = List.copyOf(waiting);
      waiting.clear();
      covered.forEach(f -> f.complete(error));
    } else if (changed) {
      client.reportError(error);
    }
  }

  /** The client's side: on the executor. */
  private final class Handler implements DiscoveryClient.Handler {
    @Override
    public CompletableFuture<String> apply(Batch batch) {
      CompletableFuture<String> programmed = new CompletableFuture<>();
      if (programming != null) {
        ProgrammingTelemetry.Applying applying =
            programming.begin(
                batch.version(),
                batch.snapshot(),
                batch.resources().size() + batch.removed().size(),
                batch.traceContext(),
                batch.origins().stream()
                    .map(
                        o ->
                            new ProgrammingTelemetry.Origin(
                                o.getRevision(), o.getWriteTimeUnixNanos(), o.getTraceContextMap()))
                    .toList());
        programmed.whenComplete(
            (error, failure) -> applying.done(failure != null ? "agent error: " + failure : error));
      }
      state.apply(batch);
      waiting.add(programmed);
      runner.run();
      return programmed;
    }

    @Override
    public long version() {
      return state.version();
    }

    @Override
    public String currentError() {
      return lastError;
    }
  }
}
