package dev.switchboard.bench.scale;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.SetPodConditionsRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The measurements at one scale, against a control plane that already holds {@code services}
 * services with their pods: connect N fresh simulated agents (the snapshot storm), then single pod
 * readiness flips and single service creates one at a time, each timed from the Admin call to the
 * moment the last agent held its version; bytes per agent per change; a new agent's snapshot; the
 * control plane's live heap. Every wait is bounded.
 */
final class ScaleRun {
  /** One scale's figures. */
  record Result(
      int services,
      int pods,
      int agents,
      double stormSeconds,
      Stats stormPerAgent,
      Stats flipAll,
      Stats flipEvery,
      Stats flipWrite,
      double flipBytesPerAgent,
      double flipCpuMillis,
      Stats createAll,
      Stats createEvery,
      double createBytesPerAgent,
      Stats newAgentSnapshot,
      double snapshotMiB,
      double cpLiveHeapMiB,
      double cpRssMiB,
      String profile,
      String contentCheck,
      String loadAverage) {}

  private static final long WAIT_MILLIS = TimeUnit.MINUTES.toMillis(10);

  private final BenchOptions options;
  private final ControlPlaneUnderTest cp;
  private final AdminGrpc.AdminBlockingStub admin;
  private final Random random;
  private int extraCounter;
  private boolean warmedUp;

  ScaleRun(
      BenchOptions options, ControlPlaneUnderTest cp, ManagedChannel adminChannel, Random random) {
    this.options = options;
    this.cp = cp;
    this.admin = AdminGrpc.newBlockingStub(adminChannel);
    this.random = random;
  }

  Result measure(int services, Path jfrDir) throws Exception {
    int pods = services * options.podsPerService();
    say("scale %d services, %d pods: connecting %d agents", services, pods, options.agents());
    try (SimulatedAgents agents =
        new SimulatedAgents(cp.target(), options.agents(), 1, options.channels(), 1)) {
      long begin = System.nanoTime();
      agents.connectAll();
      awaitSnapshots(agents);
      double storm = (System.nanoTime() - begin) / 1e9;
      Stats stormPerAgent =
          Stats.of(agents.agents().stream().mapToDouble(a -> a.snapshotNanos() / 1e6).toArray());
      double snapshotMiB = agents.agents().get(1).bytes() / 1048576.0;
      settle(agents);
      say("  storm %.1f s; flips", storm);

      // JFR first: starting a recording stalls the JVM (safepoints, class loading) for up to a
      // few hundred ms the first time, which the warm-up absorbs instead of the samples.
      Path jfr = jfrDir.resolve("scale-" + services + ".jfr");
      cp.jvm().jcmd("JFR.start", "name=scale", "settings=profile", "filename=" + jfr);
      warmUp(agents, services);
      Sample flips = flips(agents, services, options.flips());
      say("  creates");
      Sample creates = creates(agents);
      cp.jvm().jcmd("JFR.stop", "name=scale");
      String profile = Profile.summarize(jfr, 12);

      say("  new agent snapshots");
      Stats newAgent = newAgentSnapshots(3);
      String check = contentCheck(agents.agents().get(0), services, pods);
      double heap = cp.jvm().liveHeapMiB();
      double rss = cp.jvm().rssMiB();
      return new Result(
          services,
          pods,
          options.agents(),
          storm,
          stormPerAgent,
          flips.all,
          flips.every,
          flips.write,
          flips.bytesPerAgent,
          flips.cpuMillis,
          creates.all,
          creates.every,
          creates.bytesPerAgent,
          newAgent,
          snapshotMiB,
          heap,
          rss,
          profile,
          check,
          Report.loadAverage());
    }
  }

  /**
   * Flips that are not counted: JIT-compiles the paths measured next (the first scale runs right
   * after the control plane's JVM started, so it gets more).
   */
  private void warmUp(SimulatedAgents agents, int services) throws InterruptedException {
    flips(agents, services, warmedUp ? 50 : Math.max(300, options.flips()));
    warmedUp = true;
  }

  /** cpuMillis: the control plane's CPU time (all threads) per change, over the whole sample. */
  private record Sample(
      Stats all, Stats every, Stats write, double bytesPerAgent, double cpuMillis) {}

  /** Single pod readiness flips, one at a time: ready → not ready, then back on the next pick. */
  private Sample flips(SimulatedAgents agents, int services, int count)
      throws InterruptedException {
    List<double[]> perAgent = new ArrayList<>();
    double[] every = new double[count];
    double[] write = new double[count];
    long bytesBefore = agents.totalBytes();
    double cpuBefore = cp.jvm().cpuMillis();
    String lastNs = null;
    String lastPod = null;
    for (int k = 0; k < count; k++) {
      String ns;
      String pod;
      boolean ready;
      if (lastPod != null) {
        ns = lastNs;
        pod = lastPod;
        ready = true;
        lastPod = null;
      } else {
        int s = random.nextInt(services);
        ns = Fixtures.namespace(s);
        pod = Fixtures.podName(s, random.nextInt(options.podsPerService()));
        ready = false;
        lastNs = ns;
        lastPod = pod;
      }
      long start = System.nanoTime();
      long version =
          admin
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .setPodConditions(
                  SetPodConditionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setName(pod)
                      .setReady(ready)
                      .build())
              .getMetadata()
              .getResourceVersion();
      write[k] = (System.nanoTime() - start) / 1e6;
      every[k] = awaitAll(agents, start, version, perAgent);
    }
    double bytes = (agents.totalBytes() - bytesBefore) / (double) options.agents() / count;
    double cpu = (cp.jvm().cpuMillis() - cpuBefore) / count;
    return new Sample(Stats.of(flatten(perAgent)), Stats.of(every), Stats.of(write), bytes, cpu);
  }

  /** Service creates (no pods yet), one at a time; they are deleted again afterwards. */
  private Sample creates(SimulatedAgents agents) throws InterruptedException {
    List<double[]> perAgent = new ArrayList<>();
    double[] every = new double[options.creates()];
    long bytesBefore = agents.totalBytes();
    List<Integer> created = new ArrayList<>();
    for (int k = 0; k < options.creates(); k++) {
      int i = extraCounter++;
      long start = System.nanoTime();
      long version =
          admin
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .applyService(
                  ApplyServiceRequest.newBuilder()
                      .setService(Fixtures.extraService(i))
                      .setCreateOnly(true)
                      .build())
              .getMetadata()
              .getResourceVersion();
      created.add(i);
      every[k] = awaitAll(agents, start, version, perAgent);
    }
    double bytes =
        (agents.totalBytes() - bytesBefore) / (double) options.agents() / options.creates();
    for (int i : created) {
      admin
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .deleteService(
              DeleteRequest.newBuilder().setNamespace("bench-extra").setName("extra-" + i).build());
    }
    settle(agents);
    return new Sample(Stats.of(flatten(perAgent)), Stats.of(every), null, bytes, Double.NaN);
  }

  /** Waits until every agent holds {@code version}; returns the slowest agent's latency (ms). */
  private double awaitAll(SimulatedAgents agents, long start, long version, List<double[]> out)
      throws InterruptedException {
    if (!agents.awaitVersion(version, 30_000)) {
      throw new IllegalStateException(
          "agents did not reach version "
              + version
              + " in 30 s"
              + " (lowest "
              + agents.minVersion()
              + "; "
              + agents.firstError()
              + ")");
    }
    double[] latencies = agents.latenciesMillis(start, version);
    out.add(latencies);
    double max = 0;
    for (double l : latencies) {
      max = Math.max(max, l);
    }
    return max;
  }

  /** A fresh agent joining a steady cluster, alone: hello → full snapshot applied. */
  private Stats newAgentSnapshots(int repeats) throws InterruptedException {
    double[] millis = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      try (SimulatedAgents one =
          new SimulatedAgents(cp.target(), 1, 0, 1, options.agents() + 1 + r)) {
        one.connectAll();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (one.agents().get(0).snapshotNanos() < 0 && System.nanoTime() - deadline < 0) {
          Thread.sleep(1);
        }
        millis[r] = one.agents().get(0).snapshotNanos() / 1e6;
      }
    }
    return Stats.of(millis);
  }

  private void awaitSnapshots(SimulatedAgents agents) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    while (agents.agents().stream().anyMatch(a -> a.snapshotNanos() < 0)) {
      if (agents.firstError() != null) {
        throw new IllegalStateException("agent stream failed: " + agents.firstError());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("snapshots not all applied in " + WAIT_MILLIS + " ms");
      }
      Thread.sleep(10);
    }
  }

  /** Waits until every agent holds what the control plane has published now. */
  private void settle(SimulatedAgents agents) throws InterruptedException {
    long version = admin.listNodes(ListRequest.getDefaultInstance()).getResourceVersion();
    if (!agents.awaitVersion(version, WAIT_MILLIS)) {
      throw new IllegalStateException(
          "agents did not settle at "
              + version
              + ": lowest "
              + agents.minVersion()
              + "; "
              + agents.firstError());
    }
  }

  private static String contentCheck(SimAgent full, int services, int pods) {
    int s = full.count("SERVICE");
    int addresses = full.endpointAddresses();
    boolean ok = s == services && addresses == pods;
    return (ok ? "ok" : "MISMATCH")
        + ": a full agent holds "
        + s
        + " services, "
        + full.count("ENDPOINTS")
        + " endpoints objects with "
        + addresses
        + " addresses, "
        + full.count("NODE")
        + " nodes";
  }

  private static double[] flatten(List<double[]> arrays) {
    return arrays.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
  }

  static void say(String format, Object... args) {
    System.err.printf(
        java.util.Locale.ROOT, "[%tT] " + format + "%n", prepend(new java.util.Date(), args));
  }

  private static Object[] prepend(Object first, Object[] rest) {
    Object[] all = new Object[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }
}
