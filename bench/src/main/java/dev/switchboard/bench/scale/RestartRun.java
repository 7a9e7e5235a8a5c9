package dev.switchboard.bench.scale;

import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.SetPodConditionsRequest;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The control plane killed (SIGKILL) under N connected agents and started again: how long until it
 * serves (its first full list of etcd), how long until every agent has resumed from the version it
 * held, how many of them had to take a snapshot instead of a diff, and how long the first change
 * after that takes to reach all of them. Agents whose resume fails retry once a second, as the real
 * discovery client does with its backoff.
 */
final class RestartRun {
  /** The figures. */
  record Result(
      long serveMillis,
      double resumeSeconds,
      int snapshots,
      double bytesPerAgentMiB,
      Map<String, Integer> failures,
      double firstChangeMillis,
      boolean completed,
      String profile) {}

  private static final long RESUME_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(10);

  private RestartRun() {}

  static Result measure(
      ControlPlaneUnderTest cp,
      ManagedChannel adminChannel,
      SimulatedAgents agents,
      int services,
      int podsPerService,
      java.nio.file.Path dir)
      throws InterruptedException, java.io.IOException {
    cp.kill();
    long endDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (agents.agents().stream().anyMatch(a -> !a.ended())
        && System.nanoTime() - endDeadline < 0) {
      Thread.sleep(10);
    }
    long serve = cp.start();
    int snapshotsBefore = agents.agents().stream().mapToInt(SimAgent::snapshots).sum();
    long bytesBefore = agents.totalBytes();
    long begin = System.nanoTime();
    agents.resumeAll(cp.target());
    Map<String, Integer> failures = new TreeMap<>();
    long lastRetry = System.nanoTime();
    boolean completed = false;
    while (System.nanoTime() - begin < RESUME_LIMIT_NANOS) {
      if (agents.agents().stream().allMatch(a -> a.snapshotNanos() >= 0 && !a.ended())) {
        completed = true;
        break;
      }
      if (System.nanoTime() - lastRetry > TimeUnit.SECONDS.toNanos(1)) {
        agents.resumeEnded().forEach((k, v) -> failures.merge(k, v, Integer::sum));
        lastRetry = System.nanoTime();
      }
      Thread.sleep(10);
    }
    double resume = (System.nanoTime() - begin) / 1e9;
    int snapshots = agents.agents().stream().mapToInt(SimAgent::snapshots).sum() - snapshotsBefore;
    double bytes =
        (agents.totalBytes() - bytesBefore) / (double) agents.agents().size() / 1048576.0;
    double firstChange = Double.NaN;
    if (completed) {
      AdminGrpc.AdminBlockingStub admin =
          AdminGrpc.newBlockingStub(adminChannel).withWaitForReady();
      long now = admin.listNodes(ListRequest.getDefaultInstance()).getResourceVersion();
      agents.awaitVersion(now, 60_000);
      long start = System.nanoTime();
      long version =
          admin
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .setPodConditions(
                  SetPodConditionsRequest.newBuilder()
                      .setNamespace(Fixtures.namespace(services - 1))
                      .setName(Fixtures.podName(services - 1, podsPerService - 1))
                      .setReady(false)
                      .build())
              .getMetadata()
              .getResourceVersion();
      if (agents.awaitVersion(version, 30_000)) {
        firstChange = (System.nanoTime() - start) / 1e6;
      }
      admin.setPodConditions(
          SetPodConditionsRequest.newBuilder()
              .setNamespace(Fixtures.namespace(services - 1))
              .setName(Fixtures.podName(services - 1, podsPerService - 1))
              .setReady(true)
              .build());
    }
    java.nio.file.Path jfr = dir.resolve("restart.jfr");
    cp.jvm().jcmd("JFR.dump", "name=start", "filename=" + jfr);
    return new Result(
        serve,
        resume,
        snapshots,
        bytes,
        failures,
        firstChange,
        completed,
        Profile.summarize(jfr, 12));
  }
}
