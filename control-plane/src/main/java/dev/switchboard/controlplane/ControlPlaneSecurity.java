package dev.switchboard.controlplane;

import dev.switchboard.controlplane.auth.AdminTokens;
import io.grpc.ServerCredentials;
import io.netty.handler.ssl.SslContext;

/**
 * How a replica protects its port and reaches etcd. {@link #insecure()} is plaintext with no checks
 * (tests, {@code --insecure}); otherwise the port serves TLS, Discovery requires a client
 * certificate naming the subscriber, and the Admin API requires a bearer token from {@code tokens}.
 *
 * @param serverCredentials the gRPC port's TLS (reloading); null: plaintext, and no checks
 * @param tokens the Admin API's tokens; null only with plaintext
 * @param etcdTls TLS towards https etcd endpoints; null: plaintext etcd (http endpoints)
 */
public record ControlPlaneSecurity(
    ServerCredentials serverCredentials, AdminTokens tokens, SslContext etcdTls) {

  public ControlPlaneSecurity {
    if (serverCredentials != null && tokens == null) {
      throw new IllegalArgumentException(
          "tokens: null (expected: the Admin API's tokens with TLS)");
    }
  }

  public static ControlPlaneSecurity insecure() {
    return new ControlPlaneSecurity(null, null, null);
  }

  public ControlPlaneSecurity withEtcdTls(SslContext context) {
    return new ControlPlaneSecurity(serverCredentials, tokens, context);
  }

  public boolean secure() {
    return serverCredentials != null;
  }
}
