package dev.switchboard.controlplane.registry;

import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.store.Condition;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.controlplane.store.Txn;
import dev.switchboard.controlplane.store.TxnResult;
import dev.switchboard.controlplane.store.Write;
import dev.switchboard.controlplane.validation.EndpointsDefaults;
import dev.switchboard.controlplane.validation.EndpointsValidator;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import java.util.List;

/**
 * Explicit endpoints of selector-less services (an external database behind a service name).
 * Written in one transaction that requires the service to be unchanged, so endpoints never outlive
 * a concurrently deleted service.
 */
public final class EndpointsRegistry {
  private static final int MAX_ATTEMPTS = 16;

  private final Store store;
  private final ServiceRegistry services;
  private final EndpointsValidator validator;

  public EndpointsRegistry(Store store, ServiceRegistry services, EndpointsValidator validator) {
    this.store = store;
    this.services = services;
    this.validator = validator;
  }

  public Endpoints set(String namespace, String serviceName, List<Endpoint> endpoints) {
    Endpoints requested =
        EndpointsDefaults.apply(
            Endpoints.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setNamespace(namespace).setName(serviceName))
                .addAllEndpoints(endpoints)
                .build());
    validator.requireValid(requested);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Service service = services.get(namespace, serviceName);
      if (service.getSpec().getSelectorCount() > 0) {
        throw new ApiException(
            ApiException.Reason.FAILED_PRECONDITION,
            "services \""
                + serviceName
                + "\" has a selector: its endpoints are derived from the pods it"
                + " selects and cannot be set explicitly");
      }
      TxnResult result =
          store.commit(
              new Txn()
                  .when(
                      Condition.modRevisionIs(
                          Keys.service(namespace, serviceName),
                          service.getMetadata().getResourceVersion()))
                  .then(
                      Write.put(Keys.endpoints(namespace, serviceName), requested.toByteArray())));
      if (result.succeeded()) {
        return requested.toBuilder()
            .setMetadata(requested.getMetadata().toBuilder().setResourceVersion(result.revision()))
            .build();
      }
    }
    throw new ApiException(
        ApiException.Reason.CONFLICT,
        "endpoints \""
            + serviceName
            + "\": gave up after "
            + MAX_ATTEMPTS
            + " attempts under contention; try again");
  }
}
