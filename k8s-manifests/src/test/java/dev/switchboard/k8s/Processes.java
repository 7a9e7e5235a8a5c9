package dev.switchboard.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a tool as a real process, bounded in time; a missing tool fails naming what to install. */
final class Processes {
  private Processes() {}

  /** What a finished process printed, stdout and stderr apart. */
  record Result(int exitCode, String stdout, String stderr) {}

  static Result run(List<String> command, Path dir, Duration timeout, String install)
      throws IOException, InterruptedException {
    return run(command, dir, timeout, install, null);
  }

  /** As above, with exactly {@code env} as the environment (null: this JVM's). */
  static Result run(
      List<String> command,
      Path dir,
      Duration timeout,
      String install,
      java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("k8s-out", ".txt");
    Path err = Files.createTempFile("k8s-err", ".txt");
    try {
      Process p;
      try {
        ProcessBuilder pb =
            new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        if (env != null) {
          pb.environment().clear();
          pb.environment().putAll(env);
        }
        p = pb.start();
      } catch (IOException e) {
        throw new AssertionError(
            command.get(0) + ": cannot run (" + e.getMessage() + "); " + install, e);
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + ": still running after " + timeout);
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The repository root (the parent of this module), as Maven passes it. */
  static Path root() {
    String root = System.getProperty("switchboard.root");
    return root == null ? Path.of("..").toAbsolutePath().normalize() : Path.of(root).normalize();
  }
}
