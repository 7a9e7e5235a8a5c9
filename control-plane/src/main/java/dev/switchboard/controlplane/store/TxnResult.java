package dev.switchboard.controlplane.store;

import java.util.Map;
import java.util.Optional;

/**
 * The outcome of a {@link Txn}.
 *
 * @param revision the store revision after the transaction (the writes' revision on success)
 * @param failureReads on failure, the keys asked for with {@link Txn#readOnFailure}: present keys
 *     map to their value, absent keys are missing from the map
 */
public record TxnResult(boolean succeeded, long revision, Map<String, KeyValue> failureReads) {
  public Optional<KeyValue> read(String key) {
    return Optional.ofNullable(failureReads.get(key));
  }
}
