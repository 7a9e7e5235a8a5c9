package dev.switchboard.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags {@code bin/run-local} starts its components with, public so that the benchmarks
 * start theirs with the very same ones (benchmark what users run) instead of a copy that drifts.
 */
public final class ComponentJvm {
  /** Every component: small, fast-starting JVMs, since a local cluster is five or more of them. */
  public static final List<String> COMMON = List.of("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=5");

  /**
   * The node agent, after {@link #COMMON} ({@link #nodeAgentOwn()}): sized for 10,000 services
   * within 256 MiB of RSS (docs/benchmarks.md, "Control plane at scale"): a fixed heap cap rather
   * than a share of the host's RAM (the live set at 10,000 services is ~60 MiB, and receiving a
   * snapshot of them briefly needs ~110), smaller thread stacks, direct memory (Netty's buffers,
   * which back-pressure keeps small) capped, and C2 with its code cache bounded. C2 halves the CPU
   * of HTTP and HTTP/2 forwarding against C1 alone; the compiler's arenas, which spike while it
   * compiles the start-up's hot code, are given back to the OS every second ({@link
   * #TRIM_NATIVE_HEAP}, where the JVM has it). Measured: 228-238 MiB at 10,000 services with these
   * flags (C1 only and a 160 MiB heap gave 245-260 before the agent's state shrank).
   */
  private static final List<String> NODE_AGENT =
      List.of(
          "-Xms32m",
          "-Xmx128m",
          "-Xss512k",
          "-XX:MaxDirectMemorySize=128m",
          "-XX:ReservedCodeCacheSize=48m");

  /**
   * Gives freed C heap (the JIT compilers' arenas) back to the OS every second. Product flag since
   * JDK 17.0.9; an older JVM refuses to start with it, so {@link #nodeAgent()} adds it only when
   * the running JVM (the one {@code bin/run-local} starts its components with) has it.
   */
  static final String TRIM_NATIVE_HEAP = "-XX:TrimNativeHeapInterval=1000";

  private ComponentJvm() {}

  /** {@link #NODE_AGENT} and, where this JVM has it, {@link #TRIM_NATIVE_HEAP}. */
  public static List<String> nodeAgentOwn() {
    List<String> own = new ArrayList<>(NODE_AGENT);
    if (trimsNativeHeap(Runtime.version())) {
      own.add(TRIM_NATIVE_HEAP);
    }
    return List.copyOf(own);
  }

  /** {@link #COMMON} followed by {@link #nodeAgentOwn()}: the node agent's whole set, in order. */
  public static List<String> nodeAgent() {
    List<String> all = new ArrayList<>(COMMON);
    all.addAll(nodeAgentOwn());
    return List.copyOf(all);
  }

  /** True for JDK 17.0.9 and later 17 updates, and for 21.0.1 and later. */
  static boolean trimsNativeHeap(Runtime.Version v) {
    if (v.feature() == 17) {
      return v.update() >= 9;
    }
    if (v.feature() >= 18 && v.feature() <= 20) {
      return false;
    }
    return v.feature() > 21 || v.update() >= 1;
  }
}
