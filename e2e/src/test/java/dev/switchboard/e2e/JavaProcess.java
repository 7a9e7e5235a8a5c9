package dev.switchboard.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One component as its own JVM, started from the test classpath the way bin/run-local starts it
 * (small serial-GC heaps: a test runs five or six of them on two cores), with its output in a log
 * file. {@link #kill()} is a crash (SIGKILL); {@link #close()} a clean stop.
 */
final class JavaProcess implements AutoCloseable {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();

  /** Every process started and not yet stopped: killed if the test JVM exits first. */
  private static final java.util.Set<Process> LIVE =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "e2e-orphans"));
  }

  final String name;
  final Path log;
  private final List<String> command;
  private Process process;

  JavaProcess(String name, Path log, String mainClass, List<String> args) {
    this.name = name;
    this.log = log;
    List<String> c =
        new ArrayList<>(
            List.of(
                JAVA,
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    c.addAll(args);
    this.command = List.copyOf(c);
    try {
      Files.deleteIfExists(log); // a previous run's "serving on" must not count as this one's
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts (again, after a kill or stop), appending to the same log. */
  JavaProcess start() {
    try {
      Files.createDirectories(log.getParent());
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      LIVE.add(process);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": could not start", e);
    }
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** The log so far ("" when there is none yet). */
  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The last lines of the log, for failure messages. */
  String tail() {
    String text = logText();
    return text.length() > 3000 ? text.substring(text.length() - 3000) : text;
  }

  /** SIGKILL: no shutdown hook runs, no lease is revoked, sockets are closed by the kernel. */
  void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    waitFor(10);
    LIVE.remove(process);
  }

  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!waitFor(10)) {
      kill();
    }
    LIVE.remove(process);
  }

  private boolean waitFor(int seconds) {
    try {
      return process.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
