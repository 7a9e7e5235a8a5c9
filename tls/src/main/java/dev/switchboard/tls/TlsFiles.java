package dev.switchboard.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One component's TLS material from files: its own certificate and key (optional for a client) and
 * the CA bundle it trusts (optional: a server without it asks for no client certificate; a client
 * without it trusts the JVM's CAs). Both are checked for changes every {@code reloadInterval} on
 * one daemon thread, and the next handshake uses what changed.
 */
public final class TlsFiles implements AutoCloseable {
  /** How often the files are checked unless told otherwise. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);

  private final ReloadingKeyManager keys;
  private final ReloadingTrustManager trust;
  private final ScheduledExecutorService reloader;

  private TlsFiles(ReloadingKeyManager keys, ReloadingTrustManager trust, Duration reloadInterval) {
    this.keys = keys;
    this.trust = trust;
    this.reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "switchboard-tls-reload");
              t.setDaemon(true);
              return t;
            });
    long ms = reloadInterval.toMillis();
    reloader.scheduleWithFixedDelay(this::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * Loads the files now (a missing, unreadable or mismatched file fails here, named); {@code cert}
   * and {@code key} come together or not at all, {@code ca} may be null.
   */
  public static TlsFiles load(Path cert, Path key, Path ca, Duration reloadInterval)
      throws IOException {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(
          "cert: " + cert + ", key: " + key + " (expected: both or neither)");
    }
    if (reloadInterval.isNegative() || reloadInterval.isZero()) {
      throw new IllegalArgumentException("reloadInterval: " + reloadInterval + " (expected: > 0)");
    }
    return new TlsFiles(
        cert == null ? null : new ReloadingKeyManager(cert, key),
        ca == null ? null : new ReloadingTrustManager(ca),
        reloadInterval);
  }

  /** Checks both now; true when anything new is served or trusted. */
  public boolean reloadIfChanged() {
    boolean changed = keys != null && keys.reloadIfChanged();
    return (trust != null && trust.reloadIfChanged()) || changed;
  }

  /**
   * A gRPC server's credentials: this certificate; with a CA, client certificates are asked for and
   * verified when sent, but not required (the Admin API authenticates by token; the services that
   * need a certificate say so per call, see {@code Grpc.TRANSPORT_ATTR_SSL_SESSION}).
   */
  public ServerCredentials serverCredentials() {
    if (keys == null) {
      throw new IllegalStateException("a server needs a certificate and key");
    }
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keys);
    if (trust != null) {
      b.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
    }
    return b.build();
  }

  /** A gRPC client's credentials: verify the server by the CA, present the certificate if any. */
  public ChannelCredentials channelCredentials() {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    if (keys != null) {
      b.keyManager(keys);
    }
    if (trust != null) {
      b.trustManager(trust);
    }
    return b.build();
  }

  /** The same as a Netty client context, for libraries that take one (jetcd). */
  public SslContext nettyClientContext() throws IOException {
    SslContextBuilder b = GrpcSslContexts.forClient();
    if (keys != null) {
      b.keyManager(keys);
    }
    if (trust != null) {
      b.trustManager(trust);
    }
    return b.build();
  }

  /** The trust manager (null without a CA), for plain JDK sockets. */
  public javax.net.ssl.X509TrustManager trustManager() {
    return trust;
  }

  /** The certificate served now (tests compare serials across a rotation). */
  public java.security.cert.X509Certificate certificate() {
    return keys == null ? null : keys.certificate();
  }

  @Override
  public void close() {
    reloader.shutdownNow();
  }
}
