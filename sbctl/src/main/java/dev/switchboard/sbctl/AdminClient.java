package dev.switchboard.sbctl;

import dev.switchboard.tls.BearerToken;
import dev.switchboard.v1.AdminGrpc;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One command's connection to the Admin API: a TLS channel (plaintext only when asked), the bearer
 * token on every call, and deadline-bound stubs.
 */
public final class AdminClient implements AutoCloseable {
  private static final Pattern HOST_PORT =
      Pattern.compile("^(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]/]+):(\\d{1,5})$");

  private final ManagedChannel channel;
  private final String server;
  private final Duration timeout;
  private final CallCredentials token;

  private AdminClient(
      ManagedChannel channel, String server, Duration timeout, CallCredentials token) {
    this.channel = channel;
    this.server = server;
    this.timeout = timeout;
    this.token = token;
  }

  /**
   * Connects lazily: nothing is sent until the first call. {@code ca} null: the JVM's CAs; {@code
   * token} null: none.
   */
  public static AdminClient connect(
      String server, Duration timeout, boolean insecure, Path ca, String token) {
    Matcher m = HOST_PORT.matcher(server);
    if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
      throw new CommandFailure("error: --server: expected HOST:PORT, got \"" + server + "\"");
    }
    String host =
        m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
    ChannelCredentials credentials;
    try {
      credentials =
          insecure
              ? InsecureChannelCredentials.create()
              : ca == null
                  ? TlsChannelCredentials.create()
                  : TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build();
    } catch (IOException e) {
      throw new CommandFailure(
          "error: --certificate-authority: " + ca + ": cannot read: " + e.getMessage());
    }
    BearerToken bearer;
    try {
      bearer = token == null ? null : new BearerToken(token);
    } catch (IllegalArgumentException e) {
      throw new CommandFailure("error: --token: " + e.getMessage());
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, Integer.parseInt(m.group(2)), credentials).build();
    return new AdminClient(channel, server, timeout, bearer);
  }

  /** A stub whose calls fail with DEADLINE_EXCEEDED after --request-timeout (0: never). */
  public AdminGrpc.AdminBlockingStub admin() {
    AdminGrpc.AdminBlockingStub stub = streaming();
    return timeout.isZero()
        ? stub
        : stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A stub without deadline, for watches that run until cancelled. */
  public AdminGrpc.AdminBlockingStub streaming() {
    AdminGrpc.AdminBlockingStub stub = AdminGrpc.newBlockingStub(channel);
    return token == null ? stub : stub.withCallCredentials(token);
  }

  public String server() {
    return server;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
