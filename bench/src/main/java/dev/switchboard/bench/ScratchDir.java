package dev.switchboard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A benchmark's scratch directory in the system's temporary directory: component logs, etcd data,
 * generated configurations. It is removed once the run has finished cleanly, so repeated runs leave
 * nothing behind. It is kept when the run failed (its logs explain the failure) or when the command
 * line says {@code --keep}, and its path is printed when it is created either way.
 */
public final class ScratchDir {
  /** The flag that keeps the directory after a clean run. */
  public static final String KEEP = "--keep";

  private final Path path;
  private final boolean keep;

  private ScratchDir(Path path, boolean keep) {
    this.path = path;
    this.keep = keep;
  }

  /** A new directory named {@code prefix} and a random suffix; {@code args} may say --keep. */
  public static ScratchDir create(String prefix, String[] args) throws IOException {
    boolean keep = List.of(args).contains(KEEP);
    Path path = Files.createTempDirectory(prefix);
    System.err.println(
        "bench: logs and state in "
            + path
            + (keep
                ? " (kept: " + KEEP + ")"
                : " (removed after a clean run; " + KEEP + " keeps it)"));
    return new ScratchDir(path, keep);
  }

  public Path path() {
    return path;
  }

  /**
   * The run finished cleanly and nothing writes here any more: removes the directory, unless the
   * command line said --keep. A failure to remove it is reported, not thrown: the results stand.
   */
  public void finished() {
    if (keep) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("bench: could not remove " + path + ": " + e);
    }
  }
}
