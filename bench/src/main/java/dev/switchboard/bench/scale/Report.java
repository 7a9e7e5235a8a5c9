package dev.switchboard.bench.scale;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's markdown: one table row per scale, then the restart and node-agent figures. */
final class Report {
  private Report() {}

  /** The 1/5/15-minute load averages: a shared machine shows here. */
  static String loadAverage() {
    try {
      String[] f =
          java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  static void printProgress(ScaleRun.Result r) {
    System.err.println(row(r));
    System.err.println("  " + r.contentCheck());
  }

  static String markdown(
      BenchOptions o,
      List<ScaleRun.Result> results,
      List<String> seeding,
      List<NodeAgentProbe.Result> agents,
      RestartRun.Result restart) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "%,d simulated agents over %d connections, %d pods per"
                + " service, %d readiness flips and %d service creates per scale, control plane"
                + " -Xmx%s.%n%n",
            o.agents(),
            o.channels(),
            o.podsPerService(),
            o.flips(),
            o.creates(),
            o.cpHeap()));
    s.append(
        "Latencies in ms as p50 / p99 / max. \"every agent\": per change, until the last"
            + " agent held its version; \"per agent\": every (agent, change) pair.\n\n");
    s.append(
        String.format(
            Locale.ROOT,
            "| services | pods | snapshot storm, all agents | flip:"
                + " every agent | flip: per agent | flip: API call | bytes/agent/flip | CP CPU/flip |"
                + " create: every agent | create: per agent | bytes/agent/create | new agent snapshot |"
                + " snapshot size | CP live heap | CP RSS | load avg (1/5/15 min, %d cores) |%n",
            Runtime.getRuntime().availableProcessors()));
    s.append("|---:|---:|---:|---|---|---|---:|---:|---|---|---:|---|---:|---:|---:|---|\n");
    for (ScaleRun.Result r : results) {
      s.append(row(r)).append('\n');
    }
    s.append("\nContent check at each scale (one agent parses everything):\n\n");
    for (ScaleRun.Result r : results) {
      s.append(String.format(Locale.ROOT, "- %,d services: %s%n", r.services(), r.contentCheck()));
    }
    s.append("\nSeeding through the Admin API (")
        .append(o.seedConcurrency())
        .append(" calls in flight):\n\n");
    seeding.forEach(line -> s.append("- ").append(line).append('\n'));
    for (NodeAgentProbe.Result agent : agents) {
      s.append(
          String.format(
              Locale.ROOT,
              "%nReal node agent (`%s`) at %,d services: programmed"
                  + " %,d listeners in %.1f s; RSS %.0f MiB, %.0f MiB %d s later; live heap %.0f"
                  + " MiB.%n",
              agent.jvmFlags(),
              o.scales().get(o.scales().size() - 1),
              agent.listeners(),
              agent.programSeconds(),
              agent.rssMiB(),
              agent.settledRssMiB(),
              NodeAgentProbe.SETTLE.toSeconds(),
              agent.liveHeapMiB()));
    }
    if (restart != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "%nControl plane kill -9 and restart under %,d agents:"
                  + " serving again after %,d ms; every agent resumed in %.1f s (%s); %d of them got"
                  + " a snapshot instead of a diff; %.2f MiB per agent; the first change afterwards"
                  + " reached every agent in %.0f ms.%n",
              o.agents(),
              restart.serveMillis(),
              restart.resumeSeconds(),
              restart.completed() ? "completed" : "NOT completed",
              restart.snapshots(),
              restart.bytesPerAgentMiB(),
              restart.firstChangeMillis()));
      for (Map.Entry<String, Integer> f : restart.failures().entrySet()) {
        s.append(
            String.format(
                Locale.ROOT, "- %d failed resume attempts: %s%n", f.getValue(), f.getKey()));
      }
    }
    if (restart != null) {
      s.append(
          String.format(
              Locale.ROOT,
              "%n<details><summary>Control-plane CPU profile of the"
                  + " restart (JVM start, listing etcd, resumes)</summary>%n%n%s%n</details>%n",
              restart.profile()));
    }
    for (NodeAgentProbe.Result agent : agents) {
      s.append(
          String.format(
              Locale.ROOT,
              "%n<details><summary>Node agent (`%s`) native memory at"
                  + " %,d services (jcmd VM.native_memory summary, committed; then the live heap's largest"
                  + " classes, GC.class_histogram)</summary>%n%n```%n%s%n%s%n```%n</details>%n",
              agent.jvmFlags(),
              o.scales().get(o.scales().size() - 1),
              agent.nativeMemory(),
              agent.histogram()));
    }
    for (ScaleRun.Result r : results) {
      s.append(
          String.format(
              Locale.ROOT,
              "%n<details><summary>Control-plane CPU profile at %,d"
                  + " services (warm-up, flips and creates)</summary>%n%n%s%n</details>%n",
              r.services(),
              r.profile()));
    }
    return s.toString();
  }

  private static String row(ScaleRun.Result r) {
    return String.format(
        Locale.ROOT,
        "| %,d | %,d | %.1f s (per agent %s ms) | %s | %s | %s |"
            + " %.0f B | %.1f ms | %s | %s | %.0f B | %s ms | %.2f MiB | %.0f MiB | %.0f MiB | %s |",
        r.services(),
        r.pods(),
        r.stormSeconds(),
        r.stormPerAgent().millis(),
        r.flipEvery().millis(),
        r.flipAll().millis(),
        r.flipWrite().millis(),
        r.flipBytesPerAgent(),
        r.flipCpuMillis(),
        r.createEvery().millis(),
        r.createAll().millis(),
        r.createBytesPerAgent(),
        r.newAgentSnapshot().millis(),
        r.snapshotMiB(),
        r.cpLiveHeapMiB(),
        r.cpRssMiB(),
        r.loadAverage());
  }
}
