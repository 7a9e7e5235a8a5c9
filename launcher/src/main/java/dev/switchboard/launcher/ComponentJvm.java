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
   * The node agent, after {@link #COMMON}: sized for 10,000 services within 256 MiB of RSS
   * (docs/benchmarks.md, "Control plane at scale"): a fixed heap cap rather than a share of the
   * host's RAM, smaller thread stacks, direct memory (Netty's buffers, which back-pressure keeps
   * small) capped, and C1 only: C2's compiler arenas and code cost 20-40 MiB of RSS, which that
   * goal has no room for (measured: 249 MiB with C1, 268-286 MiB with C2 at 10,000 services). The
   * price is ~10% of connection-setup CPU (bench/nodeport, docs/benchmarks.md); the container
   * images, sized by the pod's memory limit, keep C2.
   */
  public static final List<String> NODE_AGENT =
      List.of(
          "-Xms32m",
          "-Xmx160m",
          "-Xss512k",
          "-XX:MaxDirectMemorySize=128m",
          "-XX:TieredStopAtLevel=1");

  private ComponentJvm() {}

  /** {@link #COMMON} followed by {@link #NODE_AGENT}: the node agent's whole set, in order. */
  public static List<String> nodeAgent() {
    List<String> all = new ArrayList<>(COMMON);
    all.addAll(NODE_AGENT);
    return List.copyOf(all);
  }
}
