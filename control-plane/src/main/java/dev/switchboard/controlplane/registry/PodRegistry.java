package dev.switchboard.controlplane.registry;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.Condition;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.TxnResult;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.controlplane.validation.PodDefaults;
import dev.switchboard.controlplane.validation.PodValidator;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodStatus;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/** Pods in etcd: each write one transaction guarded by the pod's mod revision. */
public final class PodRegistry {
  private static final int MAX_ATTEMPTS = 16;

  private final Store store;
  private final PodValidator validator;
  private final Clock clock;

  public PodRegistry(Store store, PodValidator validator, Clock clock) {
    this.store = store;
    this.validator = validator;
    this.clock = clock;
  }

  public Pod get(String namespace, String name) {
    return store
        .get(Keys.pod(namespace, name))
        .map(StoredObjects::pod)
        .orElseThrow(() -> ApiException.notFound("pods", namespace, name));
  }

  public Pod apply(Pod given, boolean createOnly) {
    Pod request = PodDefaults.apply(given);
    validator.requireValid(request);
    ObjectMeta meta = request.getMetadata();
    String key = Keys.pod(meta.getNamespace(), meta.getName());
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Optional<KeyValue> stored = store.get(key);
      Pod old = stored.map(StoredObjects::pod).orElse(null);
      if (old != null && createOnly) {
        throw ApiException.alreadyExists("pods", meta.getName());
      }
      if (old == null && meta.getResourceVersion() != 0) {
        throw ApiException.notFound("pods", meta.getNamespace(), meta.getName());
      }
      if (old != null
          && meta.getResourceVersion() != 0
          && meta.getResourceVersion() != old.getMetadata().getResourceVersion()) {
        throw ApiException.conflict("pods", meta.getName());
      }
      ObjectMeta.Builder newMeta = meta.toBuilder().setResourceVersion(0);
      if (old == null) {
        newMeta.setUid(UUID.randomUUID().toString()).setCreationTimestampMillis(clock.millis());
      } else {
        newMeta
            .setUid(old.getMetadata().getUid())
            .setCreationTimestampMillis(old.getMetadata().getCreationTimestampMillis());
      }
      Pod toStore =
          request.toBuilder()
              .setMetadata(newMeta)
              .setStatus(probeOwnedReadiness(request, old))
              .build();
      Txn txn =
          old == null
              ? new Txn().when(Condition.absent(key))
              : new Txn()
                  .when(Condition.modRevisionIs(key, old.getMetadata().getResourceVersion()));
      TxnResult result = store.commit(txn.then(Write.put(key, toStore.toByteArray())));
      if (result.succeeded()) {
        return withVersion(toStore, result.revision());
      }
      if (meta.getResourceVersion() != 0) {
        throw ApiException.conflict("pods", meta.getName());
      }
      if (createOnly) {
        throw ApiException.alreadyExists("pods", meta.getName());
      }
    }
    throw contention(meta.getName());
  }

  /**
   * Changes readiness (with why, {@code readyMessage}) and/or termination; the rest of the pod is
   * untouched. With {@code node} (a node agent reporting its probes), only a pod bound to that node
   * may change, as Kubernetes' NodeRestriction admits a kubelet's pod status writes.
   */
  public Pod setConditions(
      String namespace,
      String name,
      Boolean ready,
      String readyMessage,
      Boolean terminating,
      String node) {
    return update(
        namespace,
        name,
        pod -> {
          if (node != null && !node.equals(pod.getSpec().getNodeName())) {
            throw new ApiException(
                ApiException.Reason.FORBIDDEN,
                "node \""
                    + node
                    + "\" can only"
                    + " update pod status for pods with spec.nodeName set to itself (pod "
                    + namespace
                    + "/"
                    + name
                    + " has spec.nodeName \""
                    + pod.getSpec().getNodeName()
                    + "\")");
          }
          PodStatus.Builder status = pod.getStatus().toBuilder();
          if (ready != null) {
            status.setReady(ready).setReadyMessage(ready ? "" : readyMessage);
          }
          if (terminating != null) {
            status.setTerminating(terminating);
          }
          return pod.toBuilder().setStatus(status).build();
        });
  }

  /**
   * A pod with a readiness probe is Ready when its node's agent says the probe passes, whatever the
   * writer says: it starts not ready, and an update keeps what the node last reported (as the
   * kubelet owns the Ready condition in Kubernetes).
   */
  private static PodStatus probeOwnedReadiness(Pod request, Pod old) {
    boolean probed =
        request.getSpec().getContainersList().stream()
            .anyMatch(c -> c.hasReadinessProbe() || c.hasStartupProbe());
    if (!probed) {
      return request.getStatus();
    }
    PodStatus.Builder status = request.getStatus().toBuilder();
    if (old == null) {
      return status.setReady(false).setReadyMessage("waiting for the first probe").build();
    }
    return status
        .setReady(old.getStatus().getReady())
        .setReadyMessage(old.getStatus().getReadyMessage())
        .build();
  }

  public Pod delete(String namespace, String name, long resourceVersion) {
    String key = Keys.pod(namespace, name);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Pod old = get(namespace, name);
      long rev = old.getMetadata().getResourceVersion();
      if (resourceVersion != 0 && resourceVersion != rev) {
        throw ApiException.conflict("pods", name);
      }
      if (store
          .commit(new Txn().when(Condition.modRevisionIs(key, rev)).then(Write.delete(key)))
          .succeeded()) {
        return old;
      }
    }
    throw contention(name);
  }

  private Pod update(String namespace, String name, UnaryOperator<Pod> change) {
    String key = Keys.pod(namespace, name);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Pod old = get(namespace, name);
      Pod updated = change.apply(old);
      if (updated.equals(old)) {
        return old;
      }
      Pod toStore =
          updated.toBuilder()
              .setMetadata(updated.getMetadata().toBuilder().setResourceVersion(0))
              .build();
      TxnResult result =
          store.commit(
              new Txn()
                  .when(Condition.modRevisionIs(key, old.getMetadata().getResourceVersion()))
                  .then(Write.put(key, toStore.toByteArray())));
      if (result.succeeded()) {
        return withVersion(toStore, result.revision());
      }
    }
    throw contention(name);
  }

  private static Pod withVersion(Pod pod, long revision) {
    return pod.toBuilder()
        .setMetadata(pod.getMetadata().toBuilder().setResourceVersion(revision))
        .build();
  }

  private static ApiException contention(String name) {
    return new ApiException(
        ApiException.Reason.CONFLICT,
        "pods \""
            + name
            + "\": gave up after "
            + MAX_ATTEMPTS
            + " attempts under contention; try again");
  }
}
