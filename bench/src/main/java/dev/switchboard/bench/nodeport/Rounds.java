package dev.switchboard.bench.nodeport;

import dev.switchboard.bench.Wrk;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The rounds of a run: each scenario, every target in turn, rotated; and the table of medians. */
final class Rounds {
  static final int DEFAULT_WARM_UP_SECONDS = 2;

  /** Linux reports thread CPU times in /proc in USER_HZ ticks, 100 per second on every ABI. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  record Scenario(String id, String name, String path, int connections, boolean newConnection) {}

  static final List<Scenario> SCENARIOS =
      List.of(
          new Scenario("keepalive", "keep-alive, small response", "/small", 32, false),
          new Scenario("newconn", "new connection per request, small response", "/small", 32, true),
          new Scenario("bulk", "keep-alive, 64 KiB response", "/64k", 16, false),
          new Scenario("bulk1m", "keep-alive, 1 MiB response", "/1m", 16, false));

  private Rounds() {}

  static String measure(
      List<Target> targets, List<Scenario> scenarios, int rounds, int seconds, int warmUpSeconds)
      throws Exception {
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "%d rounds of %d s per target and scenario (after %d s of "
                + "warm-up each), medians; machine: %d cores, load average %s at the start; wrk -t1.%n%n",
            rounds,
            seconds,
            warmUpSeconds,
            Runtime.getRuntime().availableProcessors(),
            loadAverage()));
    table.append("Rows:\n");
    for (Target t : targets) {
      table
          .append("- `")
          .append(t.id())
          .append("`: ")
          .append(t.description())
          .append("; divided by `")
          .append(t.anchor())
          .append("`\n");
    }
    table.append(
        "\n| scenario | target | req/s | p50 ms | p99 ms | MB/s | × anchor | × direct "
            + "| server CPU µs/req | of which JIT | errors |\n");
    table.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Scenario scenario : scenarios) {
      // Warm-up, not measured: JIT of each scenario's own paths, page cache, connection state.
      for (Target t : targets) {
        Wrk.run(
            List.of(),
            t.base() + scenario.path(),
            scenario.connections(),
            warmUpSeconds,
            scenario.newConnection());
      }
      Map<String, List<Wrk.Result>> results = new LinkedHashMap<>();
      Map<String, List<Double>> jit = new LinkedHashMap<>();
      targets.forEach(t -> results.put(t.id(), new ArrayList<>()));
      targets.forEach(t -> jit.put(t.id(), new ArrayList<>()));
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < targets.size(); i++) {
          Target t = targets.get((i + round) % targets.size()); // rotate the order each round
          List<ProcessHandle> servers = t.servers().get();
          long cpuBefore = cpuNanos(servers);
          long jitBefore = jitNanos(servers);
          Wrk.Result r =
              Wrk.run(
                  List.of(),
                  t.base() + scenario.path(),
                  scenario.connections(),
                  seconds,
                  scenario.newConnection());
          long cpu = cpuNanos(servers) - cpuBefore;
          long compiling = jitNanos(servers) - jitBefore;
          long requests = Math.max(1, Math.round(r.requestsPerSecond() * seconds));
          results.get(t.id()).add(r.withServerCpuMicrosPerRequest(cpu / 1000.0 / requests));
          jit.get(t.id()).add(compiling / 1000.0 / requests);
        }
      }
      double direct =
          results.containsKey("direct")
              ? median(results.get("direct"), Wrk.Result::requestsPerSecond)
              : Double.NaN;
      for (Target t : targets) {
        List<Wrk.Result> r = results.get(t.id());
        double rps = median(r, Wrk.Result::requestsPerSecond);
        double anchor =
            results.containsKey(t.anchor())
                ? median(results.get(t.anchor()), Wrk.Result::requestsPerSecond)
                : Double.NaN;
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.0f | %.2f | %.2f | %.1f | %.2f | %.2f | %.1f | %.1f | %d |%n",
                scenario.name(),
                t.id(),
                rps,
                median(r, Wrk.Result::p50Millis),
                median(r, Wrk.Result::p99Millis),
                median(r, Wrk.Result::megabytesPerSecond),
                rps / anchor,
                rps / direct,
                median(r, Wrk.Result::serverCpuMicrosPerRequest),
                median(jit.get(t.id())),
                r.stream().mapToLong(Wrk.Result::errors).sum()));
      }
    }
    return table.toString();
  }

  /**
   * CPU time (user + system) of processes and their descendants (nginx's worker), in nanoseconds.
   */
  private static long cpuNanos(List<ProcessHandle> processes) {
    long total = 0;
    for (ProcessHandle p : processes) {
      total += p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
      for (ProcessHandle h : (Iterable<ProcessHandle>) p.descendants()::iterator) {
        total += h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
      }
    }
    return total;
  }

  /**
   * CPU time (user + system) of the JIT compiler threads (HotSpot's "C1 CompilerThreadN" and "C2
   * CompilerThreadN") of processes, in nanoseconds: what of the server CPU went to compiling rather
   * than serving; 0 for servers without a JIT. A compiler thread that exited meanwhile is missed
   * (it is counted in the process's total still).
   */
  private static long jitNanos(List<ProcessHandle> processes) {
    long ticks = 0;
    for (ProcessHandle p : processes) {
      Path tasks = Path.of("/proc", Long.toString(p.pid()), "task");
      try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
        for (Path thread : threads) {
          ticks += compilerTicks(thread);
        }
      } catch (IOException e) {
        // the process ended: nothing of it to count
      }
    }
    return ticks * NANOS_PER_TICK;
  }

  private static long compilerTicks(Path thread) {
    try {
      if (!Files.readString(thread.resolve("comm")).contains("CompilerThre")) {
        return 0;
      }
      String stat = Files.readString(thread.resolve("stat"));
      // After "pid (comm) " come the state (field 3) on; utime and stime are fields 14 and 15.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException e) {
      return 0; // the thread ended between the listing and the read
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static double median(
      List<Wrk.Result> results, java.util.function.ToDoubleFunction<Wrk.Result> f) {
    return median(results.stream().map(f::applyAsDouble).toList());
  }

  private static double median(List<Double> all) {
    double[] values = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }
}
