package dev.switchboard.controlplane.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Admin API's static token file, in the spirit of Kubernetes' {@code --token-auth-file}: one
 * {@code token,user,role} a line, role {@code viewer} or {@code editor}, '#' starts a comment,
 * blank lines are skipped. Tokens are kept as SHA-256 digests, so a lookup's timing says nothing
 * about how much of a guessed token was right.
 */
public final class AdminTokens {
  /** What a token may do. */
  public enum Role {
    VIEWER,
    EDITOR
  }

  /** Whom a token names. */
  public record User(String name, Role role) {}

  private final Map<String, User> byDigest;

  private AdminTokens(Map<String, User> byDigest) {
    this.byDigest = Map.copyOf(byDigest);
  }

  /** Reads {@code file}; a bad line fails with {@code FILE:LINE: what is wrong}. */
  public static AdminTokens load(Path file) throws IOException {
    try {
      return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(file + ": no such file", e);
    }
  }

  static AdminTokens parse(String source, List<String> lines) {
    Map<String, User> users = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + ":" + (i + 1) + ": ";
      String[] fields = line.split(",", -1);
      if (fields.length != 3) {
        throw new IllegalArgumentException(
            where + fields.length + " fields (expected: token,user,role)");
      }
      String token = fields[0].strip();
      String user = fields[1].strip();
      String role = fields[2].strip();
      if (token.isEmpty() || !token.chars().allMatch(c -> c > 32 && c < 127)) {
        throw new IllegalArgumentException(
            where + "token: Invalid value (expected: printable ASCII without spaces)");
      }
      if (user.isEmpty()) {
        throw new IllegalArgumentException(where + "user: Required value");
      }
      Role r =
          switch (role) {
            case "viewer" -> Role.VIEWER;
            case "editor" -> Role.EDITOR;
            default ->
                throw new IllegalArgumentException(
                    where
                        + "role: Unsupported value: \""
                        + role
                        + "\": supported values: \"editor\", \"viewer\"");
          };
      if (users.putIfAbsent(digest(token), new User(user, r)) != null) {
        throw new IllegalArgumentException(
            where + "token: Duplicate value (user \"" + user + "\"): each token names one user");
      }
    }
    if (users.isEmpty()) {
      throw new IllegalArgumentException(source + ": no tokens (expected: lines token,user,role)");
    }
    return new AdminTokens(users);
  }

  /** The user {@code token} names, if any. */
  public Optional<User> lookup(String token) {
    return Optional.ofNullable(byDigest.get(digest(token)));
  }

  public int size() {
    return byDigest.size();
  }

  private static String digest(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
  }
}
