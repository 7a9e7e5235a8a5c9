package dev.switchboard.bench.scale;

import dev.switchboard.launcher.ComponentJvm;
import java.util.Arrays;
import java.util.List;

/**
 * The benchmark's knobs. Defaults are the target (1,000 agents; 100, 1,000 and 10,000
 * services with 10 pods each, so 100,000 endpoints at the top).
 */
record BenchOptions(
    int agents,
    List<Integer> scales,
    int podsPerService,
    int flips,
    int creates,
    int channels,
    int seedConcurrency,
    String cpHeap,
    boolean nodeAgent,
    boolean restart,
    String out,
    long seed,
    List<List<String>> agentJvmFlags,
    boolean agentMemoryOnly) {

  static BenchOptions parse(String[] args) {
    return new BenchOptions(
        Integer.parseInt(arg(args, "--agents", "1000")),
        Arrays.stream(arg(args, "--scales", "100,1000,10000").split(","))
            .map(String::trim)
            .map(Integer::valueOf)
            .sorted()
            .toList(),
        Integer.parseInt(arg(args, "--pods-per-service", "10")),
        Integer.parseInt(arg(args, "--flips", "200")),
        Integer.parseInt(arg(args, "--creates", "100")),
        Integer.parseInt(arg(args, "--channels", "16")),
        Integer.parseInt(arg(args, "--seed-concurrency", "32")),
        arg(args, "--cp-heap", "4g"),
        !flag(args, "--no-node-agent"),
        !flag(args, "--no-restart"),
        arg(args, "--out", null),
        Long.parseLong(arg(args, "--seed", "8")),
        // bin/run-local's agent flags (the launcher's own list), then the flags every component
        // had before: ';' separates the sets.
        Arrays.stream(
                arg(
                        args,
                        "--agent-jvm",
                        String.join(" ", ComponentJvm.nodeAgent())
                            + ";"
                            + String.join(" ", ComponentJvm.COMMON))
                    .split(";"))
            .map(set -> Arrays.asList(set.trim().split("\\s+")))
            .toList(),
        // Seed the largest scale and measure only the real node agent: a quick rerun of it.
        flag(args, "--agent-memory-only"));
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  private static boolean flag(String[] args, String name) {
    return Arrays.asList(args).contains(name);
  }
}
