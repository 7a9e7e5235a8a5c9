package dev.switchboard.bench.scale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A component started as a JVM of its own from this benchmark's classpath (as bin/run-local does),
 * so that its heap, RSS and CPU profile are its own and not the simulated agents'. Helpers read its
 * RSS from /proc and ask it things with jcmd.
 */
public final class JvmProcess implements AutoCloseable {
  private static final Path JAVA_BIN = Path.of(System.getProperty("java.home"), "bin");

  final String name;
  final Path log;
  private final Process process;

  private JvmProcess(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  public static JvmProcess start(
      String name, Path log, List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(JAVA_BIN.resolve("java").toString());
    command.addAll(jvmOptions);
    command.add("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener");
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(args);
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
              .start();
      return new JvmProcess(name, log, p);
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": could not start", e);
    }
  }

  public long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Polls {@code ready} every 100 ms until it holds; fails naming the log otherwise. */
  public void await(String what, BooleanSupplier ready, long timeoutMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!ready.getAsBoolean()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited (" + process.exitValue() + "); see " + log);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            name + ": not " + what + " after " + timeoutMillis + " ms; see " + log);
      }
      Thread.sleep(100); // another process' state: nothing to await on but polling
    }
  }

  /** Polls {@code ready} every 100 ms until it holds (bounded). */
  public static void awaitTrue(String what, BooleanSupplier ready, long timeoutMillis)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (!ready.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("not " + what + " after " + timeoutMillis + " ms");
      }
      Thread.sleep(100); // another process' state: nothing to await on but polling
    }
  }

  /** The first group of the first match of {@code regex} in the log, or null. */
  String findInLog(String regex) {
    try {
      Matcher m = Pattern.compile(regex).matcher(Files.readString(log));
      return m.find() ? m.group(1) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** CPU time (user + system) the process has used so far, in ms. */
  public double cpuMillis() {
    return process
            .toHandle()
            .info()
            .totalCpuDuration()
            .orElseThrow(() -> new IllegalStateException("no CPU time for " + pid()))
            .toNanos()
        / 1e6;
  }

  /** Resident set size in MiB, from /proc/PID/status. */
  public double rssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS for " + pid());
  }

  /** Heap used after a full GC (the live set), in MiB, from {@code jcmd GC.heap_info}. */
  double liveHeapMiB() {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher g1 = Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K").matcher(info);
    if (g1.find()) {
      return Long.parseLong(g1.group(1)) / 1024.0;
    }
    // Serial/Parallel: one line per generation.
    Matcher gen = Pattern.compile("(?:generation|Gen)\\s+total \\d+K, used (\\d+)K").matcher(info);
    long kib = 0;
    boolean any = false;
    while (gen.find()) {
      kib += Long.parseLong(gen.group(1));
      any = true;
    }
    if (!any) {
      throw new IllegalStateException("unexpected GC.heap_info: " + info);
    }
    return kib / 1024.0;
  }

  String jcmd(String... command) {
    List<String> cmd =
        new ArrayList<>(List.of(JAVA_BIN.resolve("jcmd").toString(), Long.toString(pid())));
    cmd.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + ": " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL, as a crash. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }
}
