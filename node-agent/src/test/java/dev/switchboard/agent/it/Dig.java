package dev.switchboard.agent.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code dig} (BIND's, Debian's dnsutils) run as a process against a server, its output parsed: a
 * real resolver client, so the tests do not trust the server's own codec to read its answers. Every
 * run is bounded (dig: 2 s per try, one try; the process: 15 s).
 */
final class Dig {
  private static final Pattern STATUS =
      Pattern.compile(";; ->>HEADER<<- opcode: (\\w+), status: (\\w+), id: \\d+");
  private static final Pattern FLAGS = Pattern.compile(";; flags:([a-z ]*);");

  /** One answer record: owner, TTL, type and data as dig prints them. */
  record Rr(String name, long ttl, String type, String data) {}

  /** What dig printed: status, header flags, and the records of each section. */
  record Result(
      String status,
      Set<String> flags,
      List<Rr> answer,
      List<Rr> authority,
      List<Rr> additional,
      String output) {
    /** The data of the answers of {@code type}. */
    List<String> data(String type) {
      return answer.stream().filter(r -> r.type().equals(type)).map(Rr::data).toList();
    }
  }

  private Dig() {}

  /** {@code dig @server -p port <args>}; fails the test when dig does not answer in time. */
  static Result dig(InetSocketAddress server, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "dig",
                "@" + server.getAddress().getHostAddress(),
                "-p",
                Integer.toString(server.getPort()),
                "+time=2",
                "+tries=1"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("dig did not finish in 15 s: " + command);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return parse(out);
    } catch (IOException e) {
      throw new UncheckedIOException("running " + command + " (is dnsutils installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  static Result parse(String out) {
    Matcher status = STATUS.matcher(out);
    Matcher flags = FLAGS.matcher(out);
    if (!status.find() || !flags.find()) {
      return new Result("NO ANSWER", Set.of(), List.of(), List.of(), List.of(), out);
    }
    List<Rr> answer = new ArrayList<>();
    List<Rr> authority = new ArrayList<>();
    List<Rr> additional = new ArrayList<>();
    List<Rr> section = null;
    for (String line : out.split("\n")) {
      if (line.startsWith(";; ANSWER SECTION:")) {
        section = answer;
      } else if (line.startsWith(";; AUTHORITY SECTION:")) {
        section = authority;
      } else if (line.startsWith(";; ADDITIONAL SECTION:")) {
        section = additional;
      } else if (line.isBlank() || line.startsWith(";")) {
        section = line.isBlank() ? null : section;
      } else if (section != null) {
        String[] f = line.trim().split("\\s+", 5);
        section.add(new Rr(f[0], Long.parseLong(f[1]), f[3], f.length > 4 ? f[4] : ""));
      }
    }
    return new Result(
        status.group(2),
        Set.of(flags.group(1).trim().split(" ")),
        answer,
        authority,
        additional,
        out);
  }
}
