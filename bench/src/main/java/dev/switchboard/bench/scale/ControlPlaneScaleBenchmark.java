package dev.switchboard.bench.scale;

import dev.switchboard.bench.ScratchDir;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ListRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Control plane at scale: a real etcd, the control plane as its own JVM, N simulated agents in this
 * process, and S services with their pods seeded through the Admin API, growing scale by scale (100
 * → 1,000 → 10,000 services by default). At each scale: the snapshot storm of N fresh agents,
 * network-programming latency of single pod readiness flips and service creates, bytes per agent
 * per change, a new agent's snapshot, the control plane's live heap and a JFR profile. At the
 * largest: a real node agent's RSS, and a kill -9 / restart of the control plane under the agents.
 * Prints markdown (and writes it to {@code --out}).
 *
 * <p>Usage: {@code bench/controlplane [--agents N] [--scales 100,1000,10000] [--flips F] [--creates
 * C] [--pods-per-service P] [--cp-heap 4g] [--no-node-agent] [--no-restart] [--agent-memory-only]
 * [--out FILE]}. Loopback only; every wait is bounded.
 */
public final class ControlPlaneScaleBenchmark {
  private ControlPlaneScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchOptions options = BenchOptions.parse(args);
    ScratchDir scratch = ScratchDir.create("switchboard-cpbench-", args);
    Path dir = scratch.path();
    List<ScaleRun.Result> results = new ArrayList<>();
    List<String> seeding = new ArrayList<>();
    List<NodeAgentProbe.Result> agentRss = new ArrayList<>();
    RestartRun.Result restart = null;
    try (EtcdProcess etcd = EtcdProcess.start();
        ControlPlaneUnderTest cp = new ControlPlaneUnderTest(etcd, dir, options.cpHeap())) {
      // Interrupted (Ctrl-C, timeout): leave no control plane or etcd behind.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    cp.close();
                    etcd.close();
                  },
                  "cleanup"));
      cp.start();
      ManagedChannel admin = NettyChannelBuilder.forTarget(cp.target()).usePlaintext().build();
      try {
        Seeder seeder = new Seeder(admin, options.seedConcurrency());
        ScaleRun run = new ScaleRun(options, cp, admin, new Random(options.seed()));
        int seeded = 0;
        for (int services : options.scales()) {
          ScaleRun.say(
              "seeding services %d..%d with %d pods each",
              seeded, services - 1, options.podsPerService());
          double seconds =
              seeder.seed(seeded, services, options.podsPerService(), options.agents());
          int objects = (services - seeded) * (1 + options.podsPerService());
          seeding.add(
              String.format(
                  java.util.Locale.ROOT,
                  "%,d → %,d services: %,d objects in %.0f s (%.0f writes/s)",
                  seeded,
                  services,
                  objects,
                  seconds,
                  objects / seconds));
          seeded = services;
          if (!options.agentMemoryOnly()) {
            results.add(run.measure(services, dir));
            Report.printProgress(results.get(results.size() - 1));
          }
        }
        int top = options.scales().get(options.scales().size() - 1);
        if (options.nodeAgent()) {
          ScaleRun.say("real node agent at %d services", top);
          long version =
              AdminGrpc.newBlockingStub(admin)
                  .listNodes(ListRequest.getDefaultInstance())
                  .getResourceVersion();
          for (List<String> flags : options.agentJvmFlags()) {
            agentRss.add(NodeAgentProbe.measure(cp.target(), version, dir, flags));
          }
        }
        if (options.restart() && !options.agentMemoryOnly()) {
          ScaleRun.say("control plane kill -9 and restart under %d agents", options.agents());
          try (SimulatedAgents agents =
              new SimulatedAgents(cp.target(), options.agents(), 0, options.channels(), 1)) {
            agents.connectAll();
            long version =
                AdminGrpc.newBlockingStub(admin)
                    .listNodes(ListRequest.getDefaultInstance())
                    .getResourceVersion();
            if (!agents.awaitVersion(version, TimeUnit.MINUTES.toMillis(10))) {
              throw new IllegalStateException("agents did not settle before the restart");
            }
            restart = RestartRun.measure(cp, admin, agents, top, options.podsPerService(), dir);
          }
        }
      } finally {
        admin.shutdownNow();
      }
      String report = Report.markdown(options, results, seeding, agentRss, restart);
      System.out.println(report);
      if (options.out() != null) {
        Files.writeString(Path.of(options.out()), report);
      }
    }
    scratch.finished();
  }
}
