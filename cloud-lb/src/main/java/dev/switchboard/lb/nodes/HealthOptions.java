package dev.switchboard.lb.nodes;

import dev.switchboard.checks.Checks;
import java.time.Duration;

/**
 * How nodes are checked.
 *
 * @param interval time between two checks of one target (from the end of one to the start of the
 *     next)
 * @param timeout how long one check may take before it counts as failed
 * @param rise consecutive passes that bring a failed target back (a new target needs one, as in
 *     Envoy, so that a fresh service is served at once)
 * @param fall consecutive failures that take a passing target out
 * @param ejection how long an endpoint that refused a connection (passive check) gets no new
 *     connections
 * @param unreadyNodesThreshold the share of nodes (0 &lt; x ≤ 1) that, not ready at once, is taken
 *     for a control-plane problem rather than the nodes': readiness is then ignored and the checks
 *     alone decide (Kubernetes' node lifecycle controller stops evicting on such a "full
 *     disruption" likewise)
 */
public record HealthOptions(
    Duration interval,
    Duration timeout,
    int rise,
    int fall,
    Duration ejection,
    double unreadyNodesThreshold) {

  public static final HealthOptions DEFAULTS = of(Duration.ofSeconds(2), 2, 3);

  public HealthOptions {
    Checks.positive(interval, "healthInterval");
    Checks.positive(timeout, "healthTimeout");
    Checks.inRange(rise, 1, 100, "healthRise");
    Checks.inRange(fall, 1, 100, "healthFall");
    Checks.positive(ejection, "ejection");
    if (!(unreadyNodesThreshold > 0 && unreadyNodesThreshold <= 1)) {
      throw new IllegalArgumentException(
          "unreadyNodesThreshold: "
              + unreadyNodesThreshold
              + " (expected: a share of nodes, more than 0 and at most 1)");
    }
  }

  /**
   * A check may take up to the interval (at most 2 s). A passively ejected endpoint stays out until
   * the active check has had time to take it out itself, or to bring it back: {@code interval ×
   * max(rise, fall) + timeout}; a shorter ejection would let a dead port take one more connection
   * attempt. Readiness is ignored only when every node is not ready.
   */
  public static HealthOptions of(Duration interval, int rise, int fall) {
    Checks.positive(interval, "healthInterval");
    Checks.inRange(rise, 1, 100, "healthRise");
    Checks.inRange(fall, 1, 100, "healthFall");
    Duration timeout =
        interval.compareTo(Duration.ofSeconds(2)) < 0 ? interval : Duration.ofSeconds(2);
    return new HealthOptions(
        interval,
        timeout,
        rise,
        fall,
        interval.multipliedBy(Math.max(rise, fall)).plus(timeout),
        1.0);
  }

  public HealthOptions withUnreadyNodesThreshold(double share) {
    return new HealthOptions(interval, timeout, rise, fall, ejection, share);
  }
}
