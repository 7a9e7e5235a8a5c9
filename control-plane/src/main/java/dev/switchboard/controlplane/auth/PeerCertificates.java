package dev.switchboard.controlplane.auth;

import dev.switchboard.tls.Identity;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** The client certificate of a call, as verified by the TLS handshake (never by us). */
final class PeerCertificates {
  private PeerCertificates() {}

  /** The verified leaf certificate, if the client sent one. */
  static Optional<X509Certificate> of(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? Optional.of(x)
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  static Optional<Identity> identity(ServerCall<?, ?> call) {
    return of(call).flatMap(Identity::of);
  }
}
