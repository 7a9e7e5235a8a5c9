package dev.switchboard.tls;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/** Sends {@code authorization: Bearer <token>} with every call, as kubectl does. */
public final class BearerToken extends CallCredentials {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;

  public BearerToken(String token) {
    if (token == null
        || token.isBlank()
        || !token.strip().chars().allMatch(c -> c > 32 && c < 127)) {
      throw new IllegalArgumentException("token: (expected: printable ASCII without spaces)");
    }
    this.token = token.strip();
  }

  /** The token in {@code file}: its first non-blank line that is not a '#' comment. */
  public static BearerToken fromFile(Path file) throws IOException {
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String t = line.strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        return new BearerToken(t);
      }
    }
    throw new IOException(file + ": no token (expected: the token on one line)");
  }

  @Override
  public void applyRequestMetadata(
      RequestInfo info, Executor appExecutor, MetadataApplier applier) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    applier.apply(headers);
  }

  @Override
  public String toString() {
    return "BearerToken(***)";
  }
}
