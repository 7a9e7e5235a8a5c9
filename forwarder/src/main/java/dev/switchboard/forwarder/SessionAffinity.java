package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import java.time.Duration;

/**
 * Session affinity of a Service: {@code None} or {@code ClientIP} with a timeout since last use.
 *
 * @param type NONE or CLIENT_IP
 * @param timeout how long a client IP stays pinned to its endpoint after its last new connection
 *     (or UDP flow); ignored for NONE
 */
public record SessionAffinity(Type type, Duration timeout) {

  /** Kubernetes' default ClientIP timeout: 10800 s (3 hours). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10800);

  public static final SessionAffinity NONE = new SessionAffinity(Type.NONE, DEFAULT_TIMEOUT);

  public enum Type {
    NONE,
    CLIENT_IP
  }

  public SessionAffinity {
    Checks.notNull(type, "type");
    Checks.positive(timeout, "timeout");
  }

  public static SessionAffinity clientIp(Duration timeout) {
    return new SessionAffinity(Type.CLIENT_IP, timeout);
  }

  public static SessionAffinity clientIp() {
    return clientIp(DEFAULT_TIMEOUT);
  }
}
