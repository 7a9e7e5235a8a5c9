package dev.switchboard.controlplane.registry;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.Condition;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.TxnResult;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.controlplane.validation.FieldError;
import dev.switchboard.controlplane.validation.ServiceDefaults;
import dev.switchboard.controlplane.validation.ServiceValidator;
import dev.switchboard.controlplane.validation.ValidationException;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceStatus;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Services in etcd. Every create, update and delete is one transaction with every allocation it
 * takes or frees: the service and its keys commit together or not at all, so two replicas can never
 * hand out the same value and a crash never leaves an allocation without its owner.
 */
public final class ServiceRegistry {
  /** Bounded retries when other writers win races for dynamically picked values. */
  private static final int MAX_ATTEMPTS = 16;

  private final Store store;
  private final ServiceValidator validator;
  private final ServiceAllocator allocator;
  private final Predicate<String> allocationHint;
  private final Clock clock;

  /**
   * @param allocationHint whether this replica believes an allocation key is taken (its cache);
   *     only a hint to pick well, the transaction decides
   */
  public ServiceRegistry(
      Store store,
      ServiceValidator validator,
      AllocationRanges ranges,
      Predicate<String> allocationHint,
      Clock clock) {
    this.store = store;
    this.validator = validator;
    this.allocator =
        new ServiceAllocator(
            ranges.clusterIps(), ranges.nodePorts(), ranges.lbPools(), ranges.random());
    this.allocationHint = allocationHint;
    this.clock = clock;
  }

  public Service get(String namespace, String name) {
    return store
        .get(Keys.service(namespace, name))
        .map(StoredObjects::service)
        .orElseThrow(() -> ApiException.notFound("services", namespace, name));
  }

  /**
   * Creates or updates a service; see the Admin API's ApplyService. The request is defaulted once,
   * here (namespace included); each attempt prepares it against what is stored then.
   */
  public Service apply(Service request, boolean createOnly) {
    Service defaulted = ServiceDefaults.apply(request);
    ObjectMeta meta = defaulted.getMetadata();
    String key = Keys.service(meta.getNamespace(), meta.getName());
    Set<String> lostRaces = new HashSet<>();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Optional<KeyValue> stored = store.get(key);
      Service old = stored.map(StoredObjects::service).orElse(null);
      Service candidate;
      if (old == null) {
        candidate = withServerFields(ServiceDefaults.prepareForCreate(defaulted), null);
        validator.requireValid(candidate);
      } else {
        candidate = withServerFields(ServiceDefaults.prepareForUpdate(old, defaulted), old);
        validator.requireValidUpdate(old, candidate);
      }
      if (old != null && createOnly) {
        throw ApiException.alreadyExists("services", meta.getName());
      }
      if (old == null && meta.getResourceVersion() != 0) {
        throw ApiException.notFound("services", meta.getNamespace(), meta.getName());
      }
      if (old != null
          && meta.getResourceVersion() != 0
          && meta.getResourceVersion() != old.getMetadata().getResourceVersion()) {
        throw ApiException.conflict("services", meta.getName());
      }
      ServiceAllocator.Plan plan =
          allocator.plan(candidate, old, k -> lostRaces.contains(k) || allocationHint.test(k));
      Set<String> oldKeys = old == null ? Set.of() : ServiceAllocator.keysOf(old);
      byte[] owner = owner(plan.service());

      Txn txn = new Txn();
      if (old == null) {
        txn.when(Condition.absent(key));
      } else {
        txn.when(Condition.modRevisionIs(key, old.getMetadata().getResourceVersion()));
      }
      txn.readOnFailure(key);
      for (String allocation : plan.keys()) {
        if (!oldKeys.contains(allocation)) {
          txn.when(Condition.absent(allocation))
              .then(Write.put(allocation, owner))
              .readOnFailure(allocation);
        }
      }
      for (String allocation : oldKeys) {
        if (!plan.keys().contains(allocation)) {
          txn.then(Write.delete(allocation));
        }
      }
      if (old != null
          && old.getSpec().getSelectorCount() == 0
          && plan.service().getSpec().getSelectorCount() > 0) {
        // Selector services' endpoints are derived: explicit ones no longer apply.
        txn.then(Write.delete(Keys.endpoints(meta.getNamespace(), meta.getName())));
      }
      Service toStore =
          plan.service().toBuilder()
              .setMetadata(plan.service().getMetadata().toBuilder().setResourceVersion(0))
              .build();
      txn.then(Write.put(key, toStore.toByteArray()));

      TxnResult result = store.commit(txn);
      if (result.succeeded()) {
        return plan.service().toBuilder()
            .setMetadata(
                plan.service().getMetadata().toBuilder().setResourceVersion(result.revision()))
            .build();
      }
      long storedRevision = result.read(key).map(KeyValue::modRevision).orElse(0L);
      long expected = old == null ? 0 : old.getMetadata().getResourceVersion();
      if (storedRevision != expected) {
        if (meta.getResourceVersion() != 0) {
          throw ApiException.conflict("services", meta.getName());
        }
        continue; // someone else wrote the service meanwhile: decide again on what is there now
      }
      for (String allocation : plan.keys()) {
        if (oldKeys.contains(allocation) || result.read(allocation).isEmpty()) {
          continue;
        }
        ServiceAllocator.RequestedValue asked = plan.requested().get(allocation);
        if (asked != null) {
          throw new ValidationException(
              "Service",
              meta.getName(),
              List.of(
                  FieldError.invalid(
                      asked.field(),
                      asked.ip() ? asked.value() : Integer.valueOf(asked.value()),
                      asked.ip()
                          ? "provided IP is already allocated"
                          : "provided port is already allocated")));
        }
        lostRaces.add(allocation);
      }
    }
    throw new ApiException(
        ApiException.Reason.CONFLICT,
        "services \""
            + meta.getName()
            + "\": gave up after "
            + MAX_ATTEMPTS
            + " attempts under contention; try again");
  }

  /** Deletes a service with its allocations and explicit endpoints, in one transaction. */
  public Service delete(String namespace, String name, long resourceVersion) {
    String key = Keys.service(namespace, name);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Service old = get(namespace, name);
      long rev = old.getMetadata().getResourceVersion();
      if (resourceVersion != 0 && resourceVersion != rev) {
        throw ApiException.conflict("services", name);
      }
      Txn txn =
          new Txn()
              .when(Condition.modRevisionIs(key, rev))
              .then(Write.delete(key))
              .then(Write.delete(Keys.endpoints(namespace, name)));
      ServiceAllocator.keysOf(old).forEach(k -> txn.then(Write.delete(k)));
      if (store.commit(txn).succeeded()) {
        return old;
      }
      if (resourceVersion != 0) {
        throw ApiException.conflict("services", name);
      }
    }
    throw new ApiException(
        ApiException.Reason.CONFLICT,
        "services \""
            + name
            + "\": gave up after "
            + MAX_ATTEMPTS
            + " attempts under contention; try again");
  }

  /** Replaces the status (cloud-lb's ingress) and nothing else. */
  public Service updateStatus(String namespace, String name, ServiceStatus status) {
    String key = Keys.service(namespace, name);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Service old = get(namespace, name);
      if (old.getStatus().equals(status)) {
        return old;
      }
      Service updated = old.toBuilder().setStatus(status).build();
      // Checked against the service as stored now: an ingress written for a service that has
      // meanwhile stopped being a LoadBalancer is refused, not stored.
      ValidationException.throwIfAny("Service", name, validator.validateStatus(updated));
      Service toStore =
          updated.toBuilder()
              .setMetadata(updated.getMetadata().toBuilder().setResourceVersion(0))
              .build();
      TxnResult result =
          store.commit(
              new Txn()
                  .when(Condition.modRevisionIs(key, old.getMetadata().getResourceVersion()))
                  .then(Write.put(key, toStore.toByteArray())));
      if (result.succeeded()) {
        return updated.toBuilder()
            .setMetadata(updated.getMetadata().toBuilder().setResourceVersion(result.revision()))
            .build();
      }
    }
    throw new ApiException(
        ApiException.Reason.CONFLICT,
        "services \""
            + name
            + "\": gave up after "
            + MAX_ATTEMPTS
            + " attempts under contention; try again");
  }

  private Service withServerFields(Service defaulted, Service old) {
    ObjectMeta.Builder meta = defaulted.getMetadata().toBuilder();
    if (old == null) {
      meta.setUid(UUID.randomUUID().toString()).setCreationTimestampMillis(clock.millis());
    } else {
      meta.setUid(old.getMetadata().getUid())
          .setCreationTimestampMillis(old.getMetadata().getCreationTimestampMillis());
    }
    return defaulted.toBuilder().setMetadata(meta).build();
  }

  private static byte[] owner(Service service) {
    ObjectMeta meta = service.getMetadata();
    return ("services/" + meta.getNamespace() + "/" + meta.getName() + " " + meta.getUid())
        .getBytes(UTF_8);
  }
}
