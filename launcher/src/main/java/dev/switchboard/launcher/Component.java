package dev.switchboard.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One process the launcher runs: its command, its log file, and how to tell it is ready. A
 * component that exits or is not ready in time fails the start with a message naming it and its
 * log, so the user knows where to look.
 */
final class Component {
  private final String name;
  private final List<String> command;
  private final Path log;
  private final BooleanSupplier ready;
  private final Map<String, String> environment;
  private Process process;

  Component(String name, List<String> command, Path log, BooleanSupplier ready) {
    this(name, command, log, ready, Map.of());
  }

  /**
   * @param environment added to the launcher's own (OTEL_* variables)
   */
  Component(
      String name,
      List<String> command,
      Path log,
      BooleanSupplier ready,
      Map<String, String> environment) {
    this.name = name;
    this.command = List.copyOf(command);
    this.log = log;
    this.ready = ready;
    this.environment = Map.copyOf(environment);
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  long pid() {
    return process == null ? -1 : process.pid();
  }

  void start() throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(environment);
    process =
        builder
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
            .start();
  }

  /** Waits until ready; throws {@link LaunchException} naming the component and its log. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new LaunchException(
            name
                + " exited with code "
                + process.exitValue()
                + " during start; see "
                + log
                + lastLine());
      }
      if (ready.getAsBoolean()) {
        return;
      }
      Thread.sleep(100); // polling another process' readiness; bounded by the deadline
    }
    throw new LaunchException(
        name + " not ready after " + timeout.toSeconds() + " s; see " + log + lastLine());
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
  void stop(Duration grace) {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private String lastLine() {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (!lines.get(i).isBlank() && !lines.get(i).startsWith("\tat ")) {
          return ": " + lines.get(i).strip();
        }
      }
    } catch (IOException e) {
      // no log yet
    }
    return "";
  }
}
