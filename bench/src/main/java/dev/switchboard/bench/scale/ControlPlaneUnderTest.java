package dev.switchboard.bench.scale;

import dev.switchboard.testing.EtcdProcess;
import java.nio.file.Path;
import java.util.List;

/**
 * The control plane as its own JVM against a real etcd, local-mode ranges (ClusterIPs from
 * 127.96.0.0/16). It can be killed and started again on the same port.
 */
final class ControlPlaneUnderTest implements AutoCloseable {
  private final EtcdProcess etcd;
  private final Path dir;
  private final String heap;
  private int port;
  private int starts;
  private JvmProcess jvm;

  ControlPlaneUnderTest(EtcdProcess etcd, Path dir, String heap) {
    this.etcd = etcd;
    this.dir = dir;
    this.heap = heap;
  }

  /** Starts (or starts again after {@link #kill}); returns the milliseconds until serving. */
  long start() throws InterruptedException {
    long begin = System.nanoTime();
    starts++;
    List<String> jvmOptions =
        new java.util.ArrayList<>(
            List.of(
                "-Xmx" + heap,
                "-Xms512m",
                "-Xlog:gc:file=" + dir.resolve("control-plane-" + (starts) + "-gc.log")));
    if (starts > 1) {
      // A restart is profiled from its first instant: listing etcd, rebuilding, resumes.
      jvmOptions.add("-XX:StartFlightRecording=name=start,settings=profile");
    }
    jvm =
        JvmProcess.start(
            "control plane",
            dir.resolve("control-plane-" + starts + ".log"),
            jvmOptions,
            "dev.switchboard.controlplane.Main",
            List.of(
                "--etcd-endpoints",
                etcd.endpoint(),
                "--key-prefix",
                "/bench",
                "--listen",
                "127.0.0.1:" + port,
                "--service-cidr",
                "127.96.0.0/16",
                "--etcd-wait",
                "120s",
                "--insecure"));
    jvm.await("serving", () -> jvm.findInLog("serving on \\S+:(\\d+)") != null, 180_000);
    port = Integer.parseInt(jvm.findInLog("serving on \\S+:(\\d+)"));
    return (System.nanoTime() - begin) / 1_000_000;
  }

  String target() {
    return "127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  JvmProcess jvm() {
    return jvm;
  }

  void kill() {
    jvm.kill();
  }

  @Override
  public void close() {
    if (jvm != null) {
      jvm.close();
    }
  }
}
