package dev.switchboard.sbctl;

import dev.switchboard.v1.AdminGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One command's connection to the Admin API: a plaintext channel and deadline-bound stubs. */
public final class AdminClient implements AutoCloseable {
  private static final Pattern HOST_PORT = Pattern.compile("^(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]/]+):(\\d{1,5})$");

  private final ManagedChannel channel;
  private final String server;
  private final Duration timeout;

  private AdminClient(ManagedChannel channel, String server, Duration timeout) {
    this.channel = channel;
    this.server = server;
    this.timeout = timeout;
  }

  /** Connects lazily: nothing is sent until the first call. */
  public static AdminClient connect(String server, Duration timeout) {
    Matcher m = HOST_PORT.matcher(server);
    if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
      throw new CommandFailure("error: --server: expected HOST:PORT, got \"" + server + "\"");
    }
    String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1)
        : m.group(1);
    ManagedChannel channel = NettyChannelBuilder.forAddress(host, Integer.parseInt(m.group(2)))
        .usePlaintext()
        .build();
    return new AdminClient(channel, server, timeout);
  }

  /** A stub whose calls fail with DEADLINE_EXCEEDED after --request-timeout (0: never). */
  public AdminGrpc.AdminBlockingStub admin() {
    AdminGrpc.AdminBlockingStub stub = AdminGrpc.newBlockingStub(channel);
    return timeout.isZero() ? stub : stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A stub without deadline, for watches that run until cancelled. */
  public AdminGrpc.AdminBlockingStub streaming() {
    return AdminGrpc.newBlockingStub(channel);
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
