package dev.switchboard.lb.nodes;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Runs one active check. An interface so that tests of the rise/fall logic need no sockets. */
@FunctionalInterface
public interface Probe {

  /**
   * Checks the target once, within {@code timeout}. The future completes with null when the target
   * passed, or with a short reason when it failed ("connection refused", "HTTP probe failed with
   * statuscode: 503"); it never completes exceptionally. It may complete on any thread.
   */
  CompletableFuture<String> check(CheckTarget target, Duration timeout);
}
