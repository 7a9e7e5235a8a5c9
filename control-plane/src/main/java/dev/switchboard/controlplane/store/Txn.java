package dev.switchboard.controlplane.store;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * An etcd transaction in our terms: if every condition holds, apply every write at one revision;
 * otherwise apply nothing and read {@link #readOnFailure} keys so the caller can tell which
 * condition failed without a second round trip.
 */
public final class Txn {
  private final List<Condition> conditions = new ArrayList<>();
  private final List<Write> writes = new ArrayList<>();
  private final List<String> readOnFailure = new ArrayList<>();

  public Txn when(Condition condition) {
    conditions.add(Objects.requireNonNull(condition, "condition"));
    return this;
  }

  public Txn then(Write write) {
    writes.add(Objects.requireNonNull(write, "write"));
    return this;
  }

  public Txn readOnFailure(String key) {
    readOnFailure.add(Objects.requireNonNull(key, "key"));
    return this;
  }

  public Txn readOnFailure(Collection<String> keys) {
    keys.forEach(this::readOnFailure);
    return this;
  }

  public List<Condition> conditions() {
    return List.copyOf(conditions);
  }

  public List<Write> writes() {
    return List.copyOf(writes);
  }

  public List<String> readsOnFailure() {
    return List.copyOf(readOnFailure);
  }
}
