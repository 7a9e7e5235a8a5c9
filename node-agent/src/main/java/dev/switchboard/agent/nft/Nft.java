package dev.switchboard.agent.nft;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code nft} batches. One batch is one netlink transaction: it applies whole or not at all,
 * so a failed sync never leaves half a table. A seam, so the proxier is tested without a kernel.
 */
@FunctionalInterface
public interface Nft {

  /**
   * Applies {@code batch} (the text {@code nft -f -} reads).
   *
   * @return "" when applied; otherwise nft's own error line (or why nft could not run)
   */
  String apply(String batch);

  /** The {@code nft} on the PATH; each batch bounded by {@code timeout}. */
  static Nft system(Duration timeout) {
    return batch -> run(List.of("nft", "-f", "-"), batch, timeout).error();
  }

  /** What a run of nft gave: its exit code, its output, and the line to report when it failed. */
  record Result(int exitCode, String output) {
    /** "" on success; else the first line nft marked {@code Error:}, or its first line. */
    public String error() {
      if (exitCode == 0) {
        return "";
      }
      String first = "";
      for (String line : output.split("\n")) {
        if (line.contains("Error:")) {
          return line.trim();
        }
        if (first.isEmpty() && !line.isBlank()) {
          first = line.trim();
        }
      }
      return first.isEmpty() ? "nft exited with code " + exitCode : first;
    }
  }

  /**
   * Runs {@code command} with {@code stdin} as its input; output is read on another thread, so
   * neither side can block the other, and the whole run is bounded by {@code timeout}.
   */
  static Result run(List<String> command, String stdin, Duration timeout) {
    Objects.requireNonNull(stdin, "stdin");
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Result(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
    }
    CompletableFuture<String> output = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = p.getInputStream()) {
                output.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                output.complete("");
              }
            },
            "nft-output");
    reader.setDaemon(true);
    reader.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // nft stopped reading (it failed early): its output says why
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(
            -1, String.join(" ", command) + ": no answer within " + timeout.toMillis() + " ms");
      }
      return new Result(p.exitValue(), output.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, String.join(" ", command) + ": interrupted");
    } catch (ExecutionException | TimeoutException e) {
      return new Result(p.exitValue(), "");
    }
  }
}
