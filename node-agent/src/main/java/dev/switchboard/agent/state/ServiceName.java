package dev.switchboard.agent.state;

import java.util.Objects;

/** A service's (and its endpoints') namespace and name: the unit the agent tracks changes by. */
public record ServiceName(String namespace, String name) implements Comparable<ServiceName> {

  public ServiceName {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public int compareTo(ServiceName o) {
    int c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
