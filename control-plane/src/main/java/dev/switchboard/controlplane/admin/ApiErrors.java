package dev.switchboard.controlplane.admin;

import dev.switchboard.controlplane.registry.ApiException;
import dev.switchboard.controlplane.store.StoreException;
import dev.switchboard.controlplane.validation.ValidationException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps refusals to gRPC status: the code says the kind, the description is the whole story. */
final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {}

  static Status toStatus(RuntimeException e) {
    if (e instanceof StatusRuntimeException s) {
      return s.getStatus();
    }
    if (e instanceof ValidationException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    if (e instanceof ApiException api) {
      Status status =
          switch (api.reason()) {
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case NOT_FOUND -> Status.NOT_FOUND;
            case CONFLICT -> Status.ABORTED;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case INVALID -> Status.INVALID_ARGUMENT;
            case FORBIDDEN -> Status.PERMISSION_DENIED;
          };
      return status.withDescription(e.getMessage());
    }
    if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription(e.getMessage());
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    log.error("unexpected failure", e);
    return Status.INTERNAL.withDescription(e.toString());
  }
}
