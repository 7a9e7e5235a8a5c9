package dev.switchboard.agent.nft;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes batches through one long-lived {@code nft -i} process instead of an {@code nft -f -}
 * process per batch. A one-shot process costs ~2 ms of CPU to start (dynamic linking, page faults)
 * and, after a batch that deleted anything, waits ~10 ms in {@code close()} of its netlink socket
 * (the kernel flushes the transaction's deferred destroy work: an RCU grace period, longer on a
 * busy machine); one endpoint change at 10,000 services costs the session ~0.3 ms of CPU
 * (docs/benchmarks.md).
 *
 * <p>{@code nft -i} runs each input line as one transaction. A batch is written to a file of this
 * session's own and the line is {@code include "FILE"}: nft parses the file as {@code nft -f} would
 * (element lists over several lines, comments) and applies all of it in that one transaction.
 * Joining a batch's lines with {@code ;} instead is not the same language ({@code elements = { a }}
 * over three lines is a syntax error), and nft's line editor reads a long line in time that grows
 * faster than its length. After it comes a marker line, a word nft rejects without touching the
 * kernel: when its echo comes back the batch is done, and the {@code Error:} lines before the
 * marker's own are the batch's. Batches over {@link #MAX_BATCH} (whole tables: rare, and seconds
 * long anyway) go to a one-shot {@code nft -f -}, so the memory nft takes to parse them is returned
 * when it exits; the session's process starts meanwhile.
 *
 * <p>A process that died is replaced before the next batch; one that gives no answer within the
 * timeout is killed, and its batch reported failed. Either way the batch was one netlink
 * transaction, so the kernel applied all of it or none (a transaction not finished when its socket
 * closes is aborted); the caller, not knowing which, replaces the table. Thread-safe.
 */
public final class NftSession implements Nft, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NftSession.class);

  /** Longer batches go to {@link #oneShot}. */
  static final int MAX_BATCH = 64 * 1024;

  /**
   * Input written to one process before it is replaced: nft's line editor keeps every line in its
   * history, and nothing bounds it (~40,000 batches).
   */
  static final long MAX_INPUT = 4L << 20;

  private static final String MARKER = "switchboard-batch-done-";

  /** Kills a process that gives no answer in time; one thread for every session. */
  private static final ScheduledThreadPoolExecutor WATCHDOG = watchdog();

  private final List<String> command;
  private final Duration timeout;
  private final Nft oneShot;

  @GuardedBy("this")
  private Shell shell;

  /** The file each batch is written to; null until the first. */
  @GuardedBy("this")
  private Path file;

  /** Set when {@link #file} could not be written: then every batch goes to {@link #oneShot}. */
  @GuardedBy("this")
  private boolean noFile;

  @GuardedBy("this")
  private long batches;

  @GuardedBy("this")
  private boolean closed;

  /**
   * @param command starts the session ({@code nft -i}, or it behind a wrapper)
   * @param timeout bounds each batch written to the session
   * @param oneShot writes the batches over {@link #MAX_BATCH}
   */
  public NftSession(List<String> command, Duration timeout, Nft oneShot) {
    this.command = List.copyOf(command);
    this.timeout = timeout;
    this.oneShot = oneShot;
  }

  /**
   * The {@code nft} on the PATH: batches bounded by {@code timeout}, whole tables (one-shot) by
   * {@code tableTimeout}.
   */
  public static NftSession system(Duration timeout, Duration tableTimeout) {
    return new NftSession(List.of("nft", "-i"), timeout, Nft.system(tableTimeout));
  }

  @Override
  public synchronized String apply(String batch) {
    if (closed) {
      return "nft -i: closed";
    }
    boolean whole = batch.length() > MAX_BATCH;
    if (whole || !writeFile(batch)) {
      if (whole && (shell == null || !shell.process.isAlive())) {
        String error = restart(); // meanwhile, off the next batch's path
        if (!error.isEmpty()) {
          log.debug("{}", error);
        }
      }
      return oneShot.apply(batch);
    }
    String line = "include \"" + file + "\"\n";
    for (int attempt = 0; ; attempt++) {
      if (shell == null || !shell.process.isAlive()) {
        String error = restart();
        if (!error.isEmpty()) {
          return error;
        }
      }
      String marker = MARKER + ++batches;
      try {
        shell.write(line + marker + "\n");
      } catch (IOException e) {
        // nft went away before reading this line (it runs a line only once it has all of it):
        // nothing was applied, so a new process may take it.
        stop();
        if (attempt == 0) {
          continue;
        }
        return command.get(0) + ": cannot write to it: " + e.getMessage();
      }
      String error = shell.await(marker, timeout);
      if (shell.exited != null || shell.timedOut.get()) {
        stop();
      } else if (shell.written > MAX_INPUT) {
        shell.retire();
        shell = null;
        restart();
      }
      return error;
    }
  }

  /** Writes {@code batch} to {@link #file}; false when it cannot (then nft -f takes it). */
  @GuardedBy("this")
  private boolean writeFile(String batch) {
    if (noFile) {
      return false;
    }
    try {
      if (file == null) {
        // A directory of its own (mode 0700): nobody else can put a batch in nft's way. Both go
        // at close, or when the JVM exits without it (the file first: the reverse of this order).
        Path dir = Files.createTempDirectory("switchboard-nft");
        dir.toFile().deleteOnExit();
        file = dir.resolve("batch.nft");
        file.toFile().deleteOnExit();
      }
      Files.writeString(file, batch);
      return true;
    } catch (IOException e) {
      log.warn("cannot write nft batches to a file ({}): each batch runs nft -f", e.toString());
      noFile = true;
      return false;
    }
  }

  /** Ends the session's process; later batches are refused. */
  @Override
  public synchronized void close() {
    closed = true;
    stop();
    if (file != null) {
      try {
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.getParent());
      } catch (IOException e) {
        log.debug("cannot delete {}: {}", file, e.toString());
      }
    }
  }

  /** The session's process id, while it runs; for tests. */
  synchronized long pid() {
    return shell == null ? -1 : shell.process.pid();
  }

  /**
   * Replaces the process with a new one, which starts on a marker of its own: nft's start-up (~2 ms
   * of CPU, more on a busy machine) is then done while the caller does something else.
   *
   * @return "" when started; else why not
   */
  @GuardedBy("this")
  private String restart() {
    stop();
    try {
      shell = Shell.start(command);
      shell.write(MARKER + ++batches + "\n");
      return "";
    } catch (IOException e) {
      stop();
      return "cannot run " + command.get(0) + ": " + e.getMessage();
    }
  }

  @GuardedBy("this")
  private void stop() {
    if (shell != null) {
      shell.kill();
      shell = null;
    }
  }

  private static ScheduledThreadPoolExecutor watchdog() {
    ScheduledThreadPoolExecutor watchdog =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "nft-session-watchdog");
              t.setDaemon(true);
              return t;
            });
    watchdog.setRemoveOnCancelPolicy(true);
    return watchdog;
  }

  /** The first line nft marked {@code Error:}, trimmed; "" when none. */
  private static String firstError(List<String> output) {
    for (String line : output) {
      if (line.contains("Error:")) {
        return line.trim();
      }
    }
    return "";
  }

  /** One {@code nft -i} process; its output (stdout and stderr) read line by line by the caller. */
  private static final class Shell {
    final Process process;
    final OutputStream in;
    final BufferedReader out;
    final AtomicBoolean timedOut = new AtomicBoolean();
    long written;
    Integer exited;

    private Shell(Process process) {
      this.process = process;
      this.in = process.getOutputStream();
      this.out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static Shell start(List<String> command) throws IOException {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      // nft -i writes its line history to $HOME/.nft.history when its input ends.
      builder.environment().put("HOME", "/nonexistent");
      Shell shell = new Shell(builder.start());
      log.debug("started {} (pid {})", String.join(" ", command), shell.process.pid());
      return shell;
    }

    void write(String text) throws IOException {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      in.write(bytes);
      in.flush();
      written += bytes.length;
    }

    /**
     * Reads up to {@code marker}'s echo: "" when no {@code Error:} line came before the marker's
     * own; else the first such line, or why there was no answer. Read on the caller's thread (a
     * reader thread would add a wake-up to every batch, which on a busy machine is a wait for a
     * CPU); the watchdog kills the process at the deadline, which ends the read.
     */
    String await(String marker, Duration timeout) {
      ScheduledFuture<?> watchdog =
          WATCHDOG.schedule(
              () -> {
                timedOut.set(true);
                process.destroyForcibly();
              },
              timeout.toNanos(),
              TimeUnit.NANOSECONDS);
      List<String> output = new ArrayList<>();
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.equals(marker)) {
            // The marker's own error header is the line before its echo.
            return firstError(output.subList(0, Math.max(0, output.size() - 1)));
          }
          if (line.startsWith(MARKER)) {
            output.clear(); // what came so far answered an earlier marker (the start's)
            continue;
          }
          output.add(line);
        }
      } catch (IOException e) {
        output.add(e.toString());
      } finally {
        watchdog.cancel(false);
      }
      if (timedOut.get()) {
        return "nft -i: no answer within " + timeout.toMillis() + " ms";
      }
      try {
        exited = waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exited = -1;
      }
      String error = firstError(output);
      return "nft -i exited (code " + exited + ")" + (error.isEmpty() ? "" : ": " + error);
    }

    private int waitFor() throws InterruptedException {
      return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    /** Ends its input: nft exits on its own, after the batches it has. */
    void retire() {
      try {
        in.close();
      } catch (IOException e) {
        // already gone
      }
    }

    /**
     * Kills it and waits for it to go: its socket is closed, so a transaction it had not finished
     * is aborted before the caller decides what the kernel holds.
     */
    void kill() {
      process.destroyForcibly();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          log.warn("nft -i (pid {}) did not exit after SIGKILL", process.pid());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
