package dev.switchboard.bench.scale;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs dnsperf (Debian's, 2.10) against DNS servers and reads its summary: the throughput run keeps
 * {@value #IN_FLIGHT} queries in flight with no rate limit; the latency run sends at a fixed rate
 * with {@code -v} and takes p50/p99 from the per-query latencies (dnsperf 2.10 prints no
 * percentiles). Each run is bounded by {@code -l} and a hard timeout.
 */
final class DnsPerf {
  private static final int IN_FLIGHT = 256;
  private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");
  private static final Pattern SENT = Pattern.compile("Queries sent:\\s+(\\d+)");
  private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");
  private static final Pattern AVG = Pattern.compile("Average Latency \\(s\\):\\s+([0-9.]+)");
  private static final Pattern VERBOSE =
      Pattern.compile("^> \\S+ \\S+ \\S+ ([0-9.]+)$", Pattern.MULTILINE);

  /** A server under test: where it answers, and the process whose CPU time it costs. */
  record Target(String ip, int port, ProcessHandle process) {}

  /** One dnsperf run; latencies in ms (p50/p99 NaN unless verbose), CPU µs per answered query. */
  record Result(
      double qps,
      long sent,
      long lost,
      double avgMillis,
      double p50Millis,
      double p99Millis,
      double cpuMicrosPerQuery) {}

  private final Path queries;
  private final String cpu;

  DnsPerf(Path queries, String cpu) {
    this.queries = queries;
    this.cpu = cpu;
  }

  /**
   * Alternating rounds per target (order rotated each round): the saturated throughput run, then
   * the latency run at half the slowest target's throughput. A markdown table of medians.
   */
  String compare(Map<String, Target> targets, int rounds, int seconds) throws Exception {
    for (Target t : targets.values()) {
      finish(start(t, 0, 2, false)); // warm-up: JIT, caches
    }
    List<String> names = new ArrayList<>(targets.keySet());
    Map<String, List<Result>> max = new LinkedHashMap<>();
    names.forEach(n -> max.put(n, new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < names.size(); i++) {
        String n = names.get((i + r) % names.size());
        max.get(n).add(measure(targets.get(n), 0, seconds, false));
      }
    }
    int rate =
        (int)
            (names.stream()
                    .mapToDouble(n -> median(max.get(n).stream().map(Result::qps).toList()))
                    .min()
                    .orElseThrow()
                / 2);
    Map<String, List<Result>> fixed = new LinkedHashMap<>();
    names.forEach(n -> fixed.put(n, new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < names.size(); i++) {
        String n = names.get((i + r) % names.size());
        fixed.get(n).add(measure(targets.get(n), rate, seconds, true));
      }
    }
    StringBuilder out =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "dnsperf 2.10 (-c 4 -q %d, one"
                    + " thread, CPU %s) against each server pinned to CPU 1, %d rounds x %d s, medians; fixed"
                    + " rate = half the slower server's throughput (%d qps)%n%n| server | qps (saturated) | x dnsmasq"
                    + " | lost | avg ms (saturated) | p50 ms @ %d qps | p99 ms @ %d qps | server CPU µs/query |%n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|%n",
                IN_FLIGHT,
                cpu,
                rounds,
                seconds,
                rate,
                rate,
                rate));
    double reference = median(max.get(names.get(0)).stream().map(Result::qps).toList());
    for (String n : names) {
      List<Result> m = max.get(n);
      List<Result> f = fixed.get(n);
      double qps = median(m.stream().map(Result::qps).toList());
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %.2f | %d of %d | %.3f | %.3f | %.3f | %.1f |%n",
              n,
              qps,
              qps / reference,
              m.stream().mapToLong(Result::lost).sum(),
              m.stream().mapToLong(Result::sent).sum(),
              median(m.stream().map(Result::avgMillis).toList()),
              median(f.stream().map(Result::p50Millis).toList()),
              median(f.stream().map(Result::p99Millis).toList()),
              median(m.stream().map(Result::cpuMicrosPerQuery).toList())));
    }
    return out.toString();
  }

  private Result measure(Target t, int rate, int seconds, boolean verbose) throws Exception {
    long before = cpuNanos(t.process());
    Result r = finish(start(t, rate, seconds, verbose));
    double micros = (cpuNanos(t.process()) - before) / 1000.0 / Math.max(1, r.sent() - r.lost());
    return new Result(
        r.qps(), r.sent(), r.lost(), r.avgMillis(), r.p50Millis(), r.p99Millis(), micros);
  }

  /** dnsperf at {@code qps} (0: as fast as answers come) for {@code seconds}, in the background. */
  Process startRate(Target t, int qps, int seconds) throws IOException {
    return start(t, qps, seconds, false);
  }

  private Process start(Target t, int qps, int seconds, boolean verbose) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "taskset",
                "-c",
                cpu,
                "dnsperf",
                "-s",
                t.ip(),
                "-p",
                Integer.toString(t.port()),
                "-d",
                queries.toString(),
                "-l",
                Integer.toString(seconds),
                "-c",
                "4",
                "-q",
                Integer.toString(IN_FLIGHT),
                "-t",
                "2"));
    if (qps > 0) {
      command.addAll(List.of("-Q", Integer.toString(qps)));
    }
    if (verbose) {
      command.add("-v");
    }
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Waits (bounded) for a dnsperf run and reads it. */
  static Result finish(Process p) throws IOException, InterruptedException {
    byte[] bytes = p.getInputStream().readAllBytes(); // dnsperf ends after -l (+ -t) seconds
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("dnsperf did not finish");
    }
    String out = new String(bytes, StandardCharsets.UTF_8);
    Matcher qps = QPS.matcher(out);
    Matcher sent = SENT.matcher(out);
    Matcher lost = LOST.matcher(out);
    Matcher avg = AVG.matcher(out);
    if (p.exitValue() != 0 || !qps.find() || !sent.find() || !lost.find() || !avg.find()) {
      throw new IOException(
          "dnsperf failed ("
              + p.exitValue()
              + "): "
              + out.substring(Math.max(0, out.length() - 2000)));
    }
    if (Long.parseLong(lost.group(1)) == Long.parseLong(sent.group(1))) {
      throw new IOException(
          "dnsperf: no answer at all: " + out.substring(Math.max(0, out.length() - 2000)));
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher v = VERBOSE.matcher(out);
    List<Double> latencies = new ArrayList<>();
    while (v.find()) {
      latencies.add(Double.parseDouble(v.group(1)) * 1000);
    }
    if (!latencies.isEmpty()) {
      double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      p50 = sorted[(int) (sorted.length * 0.50)];
      p99 = sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))];
    }
    return new Result(
        Double.parseDouble(qps.group(1)),
        Long.parseLong(sent.group(1)),
        Long.parseLong(lost.group(1)),
        Double.parseDouble(avg.group(1)) * 1000,
        p50,
        p99,
        Double.NaN);
  }

  /**
   * A pod's mix per service: A and AAAA of the name (glibc asks both), two search-path misses
   * (ndots:5 tries {@code <name>.<ns>.svc.<zone>} first), SRV of the named port, PTR of the
   * ClusterIP.
   */
  static String queryFile(Map<String, String> clusterIps) {
    StringBuilder out = new StringBuilder();
    clusterIps.forEach(
        (svc, ip) -> {
          String fqdn = svc + ".default.svc.cluster.local";
          out.append(fqdn).append(" A\n").append(fqdn).append(" AAAA\n");
          out.append(svc).append(".default.default.svc.cluster.local A\n");
          out.append(fqdn).append(" A\n");
          out.append(svc).append(".default.svc.svc.cluster.local AAAA\n");
          out.append("_http._tcp.").append(fqdn).append(" SRV\n");
          List<String> octets = Arrays.asList(ip.split("\\."));
          out.append(octets.get(3))
              .append('.')
              .append(octets.get(2))
              .append('.')
              .append(octets.get(1))
              .append('.')
              .append(octets.get(0))
              .append(".in-addr.arpa PTR\n");
        });
    return out.toString();
  }

  /** {@code dig +short} of an A record (bounded); "" when nothing answers. */
  static String digA(String ip, int port, String name) {
    try {
      Process p =
          new ProcessBuilder(
                  "dig",
                  "+short",
                  "+time=1",
                  "+tries=1",
                  "@" + ip,
                  "-p",
                  Integer.toString(port),
                  name,
                  "A")
              .redirectErrorStream(true)
              .start();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "";
      }
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static long cpuNanos(ProcessHandle p) {
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }
}
