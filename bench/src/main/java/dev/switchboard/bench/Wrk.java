package dev.switchboard.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs wrk (bounded by its own duration and a hard timeout) and reads its summary. */
public final class Wrk {
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern TRANSFER = Pattern.compile("Transfer/sec:\\s+([0-9.]+)([KMG]?B)");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
  private static final Pattern ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

  /**
   * One run's figures. Latencies in milliseconds, throughput in MB/s (10^6 bytes); the CPU time the
   * serving process (proxy, or nginx for direct runs) spent per request, when measured, else NaN.
   */
  public record Result(
      double requestsPerSecond,
      double p50Millis,
      double p99Millis,
      double megabytesPerSecond,
      long errors,
      double serverCpuMicrosPerRequest) {
    public Result withServerCpuMicrosPerRequest(double micros) {
      return new Result(
          requestsPerSecond, p50Millis, p99Millis, megabytesPerSecond, errors, micros);
    }
  }

  private Wrk() {}

  static Result run(String url, int connections, int seconds, boolean newConnectionPerRequest)
      throws IOException, InterruptedException {
    return run(List.of(), url, connections, seconds, newConnectionPerRequest);
  }

  /**
   * As above, wrk started by {@code prefix} (e.g. {@code nsenter -t PID -n}: another network
   * namespace).
   */
  public static Result run(
      List<String> prefix,
      String url,
      int connections,
      int seconds,
      boolean newConnectionPerRequest)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(
        List.of(
            "wrk",
            "-t1",
            "-c" + connections,
            "-d" + seconds + "s",
            "--latency",
            "--timeout",
            "5s"));
    if (newConnectionPerRequest) {
      command.addAll(List.of("-H", "Connection: close"));
    }
    command.add(url);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("wrk did not finish: " + command);
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException("wrk failed (" + process.exitValue() + "): " + out);
    }
    return parse(out);
  }

  static Result parse(String out) {
    Matcher rps = RPS.matcher(out);
    if (!rps.find()) {
      throw new IllegalArgumentException("wrk output has no Requests/sec: " + out);
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher pct = PERCENTILE.matcher(out);
    while (pct.find()) {
      double ms = toMillis(Double.parseDouble(pct.group(2)), pct.group(3));
      if (pct.group(1).equals("50")) {
        p50 = ms;
      } else {
        p99 = ms;
      }
    }
    double mbps = 0;
    Matcher transfer = TRANSFER.matcher(out);
    if (transfer.find()) {
      mbps = toMegabytes(Double.parseDouble(transfer.group(1)), transfer.group(2));
    }
    long errors = 0;
    Matcher err = ERRORS.matcher(out);
    if (err.find()) {
      // With "Connection: close" wrk counts the server's close as a read error; connect and
      // timeout errors are the real failures.
      errors += Long.parseLong(err.group(1)) + Long.parseLong(err.group(4));
    }
    Matcher non2xx = NON_2XX.matcher(out);
    if (non2xx.find()) {
      errors += Long.parseLong(non2xx.group(1));
    }
    return new Result(Double.parseDouble(rps.group(1)), p50, p99, mbps, errors, Double.NaN);
  }

  private static double toMillis(double value, String unit) {
    return switch (unit) {
      case "us" -> value / 1000;
      case "s" -> value * 1000;
      default -> value;
    };
  }

  private static double toMegabytes(double value, String unit) {
    // wrk prints binary units (KB = 1024 bytes)
    double bytes =
        switch (unit.toUpperCase(Locale.ROOT)) {
          case "KB" -> value * 1024;
          case "MB" -> value * 1024 * 1024;
          case "GB" -> value * 1024 * 1024 * 1024;
          default -> value;
        };
    return bytes / 1_000_000;
  }
}
