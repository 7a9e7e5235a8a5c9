package dev.switchboard.bench.scale;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording's CPU samples ({@code jdk.ExecutionSample}): where the time goes by
 * thread (pool names with their numbers removed), by the method on top of the stack (self time),
 * and by Switchboard method anywhere on the stack (inclusive time). Same data as {@code jfr print
 * --events jdk.ExecutionSample}, aggregated.
 */
final class Profile {
  private Profile() {}

  static String summarize(Path recording, int top) throws IOException {
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> inclusive = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      samples++;
      String thread =
          e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      byThread.merge(thread == null ? "?" : thread.replaceAll("[0-9]+", "N"), 1, Integer::sum);
      RecordedStackTrace stack = e.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      self.merge(name(stack.getFrames().get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : stack.getFrames()) {
        String n = name(f);
        if (n.startsWith("dev.switchboard")
            && !n.contains("$$Lambda")
            && !n.contains("lambda$")
            && seen.add(n)) {
          inclusive.merge(n, 1, Integer::sum);
        }
      }
    }
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%d CPU samples%n", samples));
    table(out, "thread", byThread, samples, top);
    table(out, "top of stack (self)", self, samples, top);
    table(out, "Switchboard method on the stack (inclusive)", inclusive, samples, top);
    return out.toString();
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void table(
      StringBuilder out, String title, Map<String, Integer> counts, int total, int top) {
    out.append(String.format(Locale.ROOT, "%n| %s | share |%n|---|---:|%n", title));
    List<Map.Entry<String, Integer>> sorted =
        counts.entrySet().stream()
            .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
            .limit(top)
            .toList();
    for (Map.Entry<String, Integer> e : sorted) {
      out.append(
          String.format(
              Locale.ROOT,
              "| `%s` | %.1f%% |%n",
              e.getKey(),
              100.0 * e.getValue() / Math.max(1, total)));
    }
  }
}
