package dev.switchboard.sbctl;

import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;

/**
 * Everything sbctl takes from its surroundings, passed in rather than read from globals so that
 * tests run the real commands in-process and capture exactly what a user would see.
 *
 * @param out tables, YAML, "service/web created"
 * @param err errors, one line each
 * @param in read by {@code apply -f -}
 * @param env {@code SWITCHBOARD_SERVER}
 * @param clock for AGE
 */
public record Terminal(
    PrintWriter out, PrintWriter err, InputStream in, Map<String, String> env, Clock clock) {

  /** The process' own streams and environment. */
  public static Terminal system() {
    return new Terminal(
        new PrintWriter(System.out, true),
        new PrintWriter(System.err, true),
        System.in,
        System.getenv(),
        Clock.systemUTC());
  }
}
