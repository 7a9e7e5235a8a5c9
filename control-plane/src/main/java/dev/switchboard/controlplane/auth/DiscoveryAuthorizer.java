package dev.switchboard.controlplane.auth;

import dev.switchboard.tls.Identity;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * mTLS for the Discovery stream: a call without a verified client certificate is UNAUTHENTICATED; a
 * hello that claims another identity than the certificate's is PERMISSION_DENIED (a node agent may
 * subscribe only as its own node; the LOAD_BALANCER role needs a load balancer's certificate, of
 * the same name). Checked on the hello itself, before the service sees it, so a refused stream
 * never registers a node or leases anything.
 */
public final class DiscoveryAuthorizer implements ServerInterceptor {
  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Optional<X509Certificate> cert = PeerCertificates.of(call);
    if (cert.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "discovery: a client certificate signed"
                  + " by the cluster CA is required (node: CN=system:node:<name>, O=switchboard:nodes)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Optional<Identity> identity = Identity.of(cert.get());
    if (identity.isEmpty()) {
      call.close(
          Status.PERMISSION_DENIED.withDescription(
              "discovery: certificate subject \""
                  + cert.get().getSubjectX500Principal().getName()
                  + "\" names neither a node"
                  + " (CN=system:node:<name>, O=switchboard:nodes) nor a load balancer"
                  + " (CN=system:switchboard:lb:<name>, O=switchboard:load-balancers)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Identity who = identity.get();
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean refused; // the call's listener methods run one at a time

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        if (message instanceof DiscoveryRequest request && request.hasHello()) {
          String denied = check(who, request.getHello());
          if (denied != null) {
            refused = true;
            call.close(Status.PERMISSION_DENIED.withDescription(denied), new Metadata());
            return;
          }
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }

  /** Why {@code who} may not say {@code hello}; null when it may. */
  static String check(Identity who, Hello hello) {
    Identity.Kind needed =
        hello.getRole() == Role.LOAD_BALANCER ? Identity.Kind.LOAD_BALANCER : Identity.Kind.NODE;
    if (hello.getRole() != Role.AGENT && hello.getRole() != Role.LOAD_BALANCER) {
      return null; // the service refuses the role itself, with its own words
    }
    if (who.kind() != needed) {
      return "hello.role: "
          + hello.getRole()
          + ": the client certificate is "
          + who
          + "'s, a "
          + (who.kind() == Identity.Kind.NODE ? "node" : "load balancer")
          + " (role "
          + hello.getRole()
          + " needs a "
          + (needed == Identity.Kind.NODE ? "node" : "load balancer")
          + " certificate)";
    }
    if (!who.name().equals(hello.getNodeName())) {
      return "hello.nodeName: \""
          + hello.getNodeName()
          + "\": the client certificate is "
          + who
          + "'s (a subscriber may only subscribe as itself)";
    }
    return null;
  }
}
