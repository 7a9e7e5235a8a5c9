package dev.switchboard.bench.grpc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Runs every target once per round, the order rotating each round (so no target always runs first,
 * on a cold machine, or last), after one warm-up run each; prints the medians as a markdown table.
 * The warm-up is long ({@code --warmup}, 15 s by default): the agent's C2 needs ~20,000 calls
 * before its throughput stops climbing, which a short warm-up left to the measured rounds (on a
 * quiet machine the agent went 9,000 → 17,500 → 32,300 calls/s over three rounds after 2.5 s).
 */
final class Rounds {
  private final GrpcLoad load;
  private final int endpoints;

  Rounds(GrpcLoad load, int endpoints) {
    this.load = load;
    this.endpoints = endpoints;
  }

  /** One run, with the proxy's CPU time per call (µs; NaN without a proxy). */
  private record Run(GrpcLoad.Result result, double proxyCpuMicrosPerCall) {}

  String run(Map<String, GrpcBenchmark.Target> targets, int rounds, int seconds, int warmup)
      throws Exception {
    List<String> names = new ArrayList<>(targets.keySet());
    for (String name : names) {
      once(targets.get(name), warmup); // JIT on both sides
    }
    Map<String, List<Run>> runs = new LinkedHashMap<>();
    names.forEach(n -> runs.put(n, new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((i + r) % names.size());
        Run run = once(targets.get(name), seconds);
        runs.get(name).add(run);
        System.err.printf(
            "round %d %-30s %8.0f calls/s p50 %6.0f µs p99 %6.0f µs errors %d spread ±%.1f%% (%d endpoints)%n",
            r + 1,
            name,
            run.result().callsPerSecond(),
            run.result().p50Micros(),
            run.result().p99Micros(),
            run.result().errors(),
            run.result().spreadPercent(),
            run.result().endpointsAnswering());
      }
    }
    StringBuilder table =
        new StringBuilder(
            "| target | calls/s | p50 µs | p99 µs | errors | endpoints answering | spread | proxy CPU µs/call |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (String name : names) {
      List<Run> rs = runs.get(name);
      table.append(
          String.format(
              "| %s | %.0f | %.0f | %.0f | %d | %d | ±%.1f %% | %s |%n",
              name,
              median(rs, x -> x.result().callsPerSecond()),
              median(rs, x -> x.result().p50Micros()),
              median(rs, x -> x.result().p99Micros()),
              rs.stream().mapToLong(x -> x.result().errors()).sum(),
              rs.get(rs.size() - 1).result().endpointsAnswering(),
              median(rs, x -> x.result().spreadPercent()),
              Double.isNaN(rs.get(0).proxyCpuMicrosPerCall())
                  ? "-"
                  : String.format("%.1f", median(rs, Run::proxyCpuMicrosPerCall))));
    }
    return table.toString();
  }

  private Run once(GrpcBenchmark.Target t, int seconds) throws Exception {
    double cpuBefore = cpuMicros(t);
    GrpcLoad.Result r = load.run(t.address(), seconds, endpoints);
    double cpu = cpuMicros(t) - cpuBefore;
    double calls = r.callsPerSecond() * seconds;
    return new Run(r, t.proxy() == null ? Double.NaN : cpu / calls);
  }

  private static double cpuMicros(GrpcBenchmark.Target t) {
    if (t.proxy() == null) {
      return 0;
    }
    return t.proxy().info().totalCpuDuration().map(d -> d.toNanos() / 1e3).orElse(Double.NaN);
  }

  private static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
    double[] v = xs.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
