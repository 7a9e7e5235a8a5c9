package dev.switchboard.discovery.client;

import java.time.Duration;

/** How long to wait before reconnecting. Injected so that tests can drive reconnection. */
@FunctionalInterface
public interface Backoff {

  /**
   * @param failures consecutive failed attempts so far (1 after the first failure); reset when a
   *     stream receives its first response
   */
  Duration delay(int failures);
}
