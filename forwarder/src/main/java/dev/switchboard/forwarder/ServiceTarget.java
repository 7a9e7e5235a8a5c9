package dev.switchboard.forwarder;

import dev.switchboard.checks.Checks;
import java.util.List;

/**
 * What a listener forwards to: the endpoint set and the session affinity. This is the part of a
 * listener that changes while traffic flows ({@link Listener#update}); open connections keep their
 * endpoint across updates.
 */
public record ServiceTarget(List<Endpoint> endpoints, SessionAffinity affinity) {

  public static final ServiceTarget EMPTY = new ServiceTarget(List.of(), SessionAffinity.NONE);

  public ServiceTarget {
    endpoints = List.copyOf(Checks.notNull(endpoints, "endpoints"));
    Checks.notNull(affinity, "affinity");
  }

  public static ServiceTarget of(List<Endpoint> endpoints) {
    return new ServiceTarget(endpoints, SessionAffinity.NONE);
  }

  public static ServiceTarget of(Endpoint... endpoints) {
    return of(List.of(endpoints));
  }

  public ServiceTarget withAffinity(SessionAffinity newAffinity) {
    return new ServiceTarget(endpoints, newAffinity);
  }
}
