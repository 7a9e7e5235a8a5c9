package dev.switchboard.lb.nodes;

/**
 * The rise/fall state of one target, fed with check results. A new target starts out failed and
 * passes on its first success (so that a new service or a returning node is served at once); after
 * that it takes {@code rise} consecutive passes to come back and {@code fall} consecutive failures
 * to go out, so that one lost packet does not flap it.
 *
 * <p>Not thread-safe: owned by {@link NodeHealth}'s executor.
 */
final class TargetHealth {
  private final int rise;
  private final int fall;
  private boolean up;
  private boolean everUp;
  private int passes;
  private int failures;
  private String lastFailure = "not checked yet";

  TargetHealth(int rise, int fall) {
    this.rise = rise;
    this.fall = fall;
  }

  /** Records a result; true when {@link #up()} changed. {@code failure} is null for a pass. */
  boolean record(String failure) {
    if (failure == null) {
      failures = 0;
      passes++;
      if (!up && (!everUp || passes >= rise)) {
        up = true;
        everUp = true;
        return true;
      }
      return false;
    }
    lastFailure = failure;
    passes = 0;
    failures++;
    if (up && failures >= fall) {
      up = false;
      return true;
    }
    return false;
  }

  boolean up() {
    return up;
  }

  String lastFailure() {
    return lastFailure;
  }
}
