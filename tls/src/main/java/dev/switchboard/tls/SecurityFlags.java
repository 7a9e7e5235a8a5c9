package dev.switchboard.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rule every component's command line follows: all of its TLS flags, or {@code --insecure}
 * alone; never half of them, never plaintext by omission.
 */
public final class SecurityFlags {
  private SecurityFlags() {}

  /**
   * Fails naming what is missing (or what {@code --insecure} was mixed with).
   *
   * @param flags each TLS flag (in the order to name them) and its value, null or blank if not
   *     given
   * @param plaintext what {@code --insecure} means for this component, e.g. "serve plaintext"
   */
  public static void requireAllOrInsecure(
      Map<String, String> flags, boolean insecure, String plaintext) {
    List<String> given = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    flags.forEach((flag, value) -> (value == null || value.isBlank() ? missing : given).add(flag));
    if (insecure && !given.isEmpty()) {
      throw new IllegalArgumentException(
          "--insecure: cannot be combined with "
              + String.join(", ", given)
              + " (expected: TLS flags, or --insecure alone)");
    }
    if (!insecure && !missing.isEmpty()) {
      throw new IllegalArgumentException(
          "TLS is required: missing "
              + String.join(", ", missing)
              + " (or pass --insecure to "
              + plaintext
              + ")");
    }
  }
}
