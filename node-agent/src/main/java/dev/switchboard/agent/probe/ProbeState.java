package dev.switchboard.agent.probe;

import dev.switchboard.v1.Probe;

/**
 * One probe's result through its thresholds, as the kubelet keeps it: the result turns to success
 * after {@code successThreshold} consecutive passes and to failure after {@code failureThreshold}
 * consecutive failures; a readiness probe starts failed, so a pod is not ready before it passed.
 * Not thread-safe: confined to the prober's executor.
 */
final class ProbeState {
  private final Probe probe;
  private boolean passing;
  private int successes;
  private int failures;
  private String lastFailure = "";

  ProbeState(Probe probe) {
    this.probe = probe;
  }

  Probe probe() {
    return probe;
  }

  boolean passing() {
    return passing;
  }

  /** Why it last failed; "" before any failure. */
  String lastFailure() {
    return lastFailure;
  }

  /**
   * Records one run: {@code failure} null for a pass.
   *
   * @return whether the result changed
   */
  boolean record(String failure) {
    if (failure == null) {
      failures = 0;
      successes++;
      if (!passing && successes >= Math.max(1, probe.getSuccessThreshold())) {
        passing = true;
        return true;
      }
      return false;
    }
    successes = 0;
    failures++;
    lastFailure = failure;
    if (passing && failures >= Math.max(1, probe.getFailureThreshold())) {
      passing = false;
      return true;
    }
    return false;
  }
}
