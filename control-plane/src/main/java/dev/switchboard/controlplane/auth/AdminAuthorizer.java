package dev.switchboard.controlplane.auth;

import dev.switchboard.tls.BearerToken;
import dev.switchboard.tls.Identity;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens for the Admin API ({@code authorization: Bearer <token>}): no token or an unknown
 * one is UNAUTHENTICATED; a viewer may only read (get, list, watch), anything else needs an editor,
 * else PERMISSION_DENIED. Two exceptions, so cloud-lb and node agents need no token: a verified
 * load balancer certificate may call {@code UpdateServiceStatus} (as the cloud controller manager
 * writes service status under its own identity), and a node certificate may call {@code Watch} and
 * {@code SetPodConditions} (as a kubelet watches and reports its pods); the node is then the call's
 * {@link Caller#NODE}, and the Admin service lets it touch only pods bound to it (Kubernetes'
 * NodeRestriction).
 */
public final class AdminAuthorizer implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AdminAuthorizer.class);

  /** Admin calls that change nothing; any other (including ones added later) needs an editor. */
  static final Set<String> READS =
      Set.of(
          "GetService",
          "ListServices",
          "GetPod",
          "ListPods",
          "GetEndpoints",
          "ListEndpoints",
          "ListNodes",
          "Watch");

  static final String STATUS_WRITE = "UpdateServiceStatus";

  /** What a node's certificate may call, each checked again against the node by the service. */
  static final Set<String> NODE_CALLS = Set.of("Watch", "SetPodConditions");

  private final AdminTokens tokens;

  public AdminAuthorizer(AdminTokens tokens) {
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    String header = headers.get(BearerToken.AUTHORIZATION);
    Status refused;
    if (header == null) {
      Optional<Identity> peer = PeerCertificates.identity(call);
      if (STATUS_WRITE.equals(method)
          && peer.isPresent()
          && peer.get().kind() == Identity.Kind.LOAD_BALANCER) {
        return next.startCall(call, headers);
      }
      if (NODE_CALLS.contains(method)
          && peer.isPresent()
          && peer.get().kind() == Identity.Kind.NODE) {
        return Contexts.interceptCall(
            Context.current().withValue(Caller.NODE, peer.get().name()), call, headers, next);
      }
      refused =
          Status.UNAUTHENTICATED.withDescription(
              "Admin API: no credentials (expected:"
                  + " authorization: Bearer <token>; sbctl: --token or SWITCHBOARD_TOKEN)");
    } else if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      refused =
          Status.UNAUTHENTICATED.withDescription(
              "Admin API: authorization: not a bearer token (expected: Bearer <token>)");
    } else {
      Optional<AdminTokens.User> user = tokens.lookup(header.substring(7).strip());
      if (user.isEmpty()) {
        refused = Status.UNAUTHENTICATED.withDescription("Admin API: invalid bearer token");
      } else if (user.get().role() != AdminTokens.Role.EDITOR && !READS.contains(method)) {
        refused =
            Status.PERMISSION_DENIED.withDescription(
                "user \""
                    + user.get().name()
                    + "\" (role viewer) cannot "
                    + method
                    + ": it needs the editor role");
      } else {
        return next.startCall(call, headers);
      }
    }
    log.debug("Admin {} refused: {}", method, refused.getDescription());
    call.close(refused, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
