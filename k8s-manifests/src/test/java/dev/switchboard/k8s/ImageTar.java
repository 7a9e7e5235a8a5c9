package dev.switchboard.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * An image tar ({@code docker save} format, as Jib writes it) unpacked into a root filesystem, and
 * its entrypoint run there the way a container runtime would: as the image's user, with the image's
 * environment, in its own mount and PID namespaces (unshare(1), root only).
 */
record ImageTar(
    Path rootfs, List<String> repoTags, List<String> entrypoint, List<String> env, String user) {
  private static final String INSTALL =
      "needs GNU tar and util-linux's unshare (Debian: "
          + "apt-get install tar util-linux), run as root";

  @SuppressWarnings("unchecked")
  static ImageTar unpack(Path tar, Path dir) throws Exception {
    Path outer = dir.resolve("image");
    Path rootfs = dir.resolve("rootfs");
    Files.createDirectories(outer);
    Files.createDirectories(rootfs);
    untar(tar, outer);
    Load json = new Load(LoadSettings.builder().build());
    Map<String, Object> manifest =
        ((List<Map<String, Object>>)
                json.loadFromString(Files.readString(outer.resolve("manifest.json"))))
            .get(0);
    for (Object layer : (List<Object>) manifest.get("Layers")) {
      untar(outer.resolve(String.valueOf(layer)), rootfs);
    }
    Map<String, Object> config =
        Manifest.map(
            (Map<String, Object>)
                json.loadFromString(
                    Files.readString(outer.resolve(String.valueOf(manifest.get("Config"))))),
            "config");
    return new ImageTar(
        rootfs,
        Manifest.strings(manifest, "RepoTags"),
        Manifest.strings(config, "Entrypoint"),
        Manifest.strings(config, "Env"),
        String.valueOf(config.getOrDefault("User", "0")));
  }

  /** Starts the entrypoint with {@code args}; output goes to {@code log}. */
  Process run(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(entrypoint);
    command.addAll(List.of(args));
    return builder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Runs {@code command} inside the image to its end (at most 30 s). */
  Processes.Result exec(List<String> command) throws Exception {
    ProcessBuilder pb = builder(command);
    return Processes.run(pb.command(), rootfs, Duration.ofSeconds(30), INSTALL, pb.environment());
  }

  private ProcessBuilder builder(List<String> command) {
    String uid = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
    List<String> full =
        new ArrayList<>(
            List.of(
                "/usr/bin/unshare",
                "--mount",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc=/proc",
                "--root=" + rootfs.toAbsolutePath(),
                "--setuid=" + uid,
                "--setgid=" + uid));
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full);
    pb.environment().clear();
    for (String e : env) {
      int eq = e.indexOf('=');
      pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
    }
    return pb;
  }

  private static void untar(Path tar, Path into) throws Exception {
    Processes.Result r =
        Processes.run(
            List.of(
                "tar",
                "--warning=no-unknown-keyword",
                "-xf",
                tar.toString(),
                "-C",
                into.toString()),
            into,
            Duration.ofSeconds(60),
            INSTALL);
    if (r.exitCode() != 0) {
      throw new AssertionError("tar -xf " + tar + ": " + r.stderr());
    }
  }
}
