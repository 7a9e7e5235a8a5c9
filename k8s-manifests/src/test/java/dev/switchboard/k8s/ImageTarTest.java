package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.testing.EtcdProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image tars bin/build-images made (-Pimages): named as the manifests say, and runnable.
 * Each image's layers are unpacked into a directory and its entrypoint is run there as the
 * image's user, in a mount and PID namespace with its own /proc ({@code unshare --root}, root
 * only; CI runs as root), sharing the host's loopback: a control plane on a real etcd, a node
 * agent that becomes ready on it, a cloud-lb that serves its metrics.
 */
@Tag("images")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ImageTarTest {
  @TempDir
  static Path dir;
  private static final List<Process> STARTED = new ArrayList<>();
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopAll() throws InterruptedException {
    for (Process p : STARTED) {
      // unshare(1) waits for its child and ignores SIGTERM: stop the component itself.
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    etcd.close();
  }

  @Test
  void eachTarIsTheImageTheManifestsNameWithItsMainClassInside() throws Exception {
    for (ComponentCli c : ComponentCli.values()) {
      ImageTar image = ImageTar.unpack(tar(c), dir.resolve(c.name()));
      assertThat(image.repoTags()).containsExactly(ImageNamesTest.jibImage(c));
      List<String> entrypoint = image.entrypoint();
      String mainClass = entrypoint.get(entrypoint.size() - 1);
      assertThat(entrypoint.get(0)).isEqualTo("java");
      assertThat(image.rootfs().resolve("app/classes/" + mainClass.replace('.', '/') + ".class"))
          .as("%s: main class %s", c, mainClass).exists();
      for (String entry : Files.readString(image.rootfs().resolve("app/jib-classpath-file")).trim().split(":")) {
        if (!entry.endsWith("*")) {
          assertThat(image.rootfs().resolve(entry.substring(1))).as("%s classpath", c).exists();
        }
      }
      assertThat(image.rootfs().resolve("opt/java/bin/java")).isExecutable();
    }
  }

  @Test
  void theImagesRunAControlPlaneAReadyNodeAgentAndACloudLb() throws Exception {
    long start = System.nanoTime();
    ImageTar cp = ImageTar.unpack(tar(ComponentCli.CONTROL_PLANE), dir.resolve("run-cp"));
    int cpPort = EtcdProcess.freePort();
    Path cpLog = dir.resolve("control-plane.log");
    STARTED.add(cp.run(cpLog, "--insecure", "--listen=127.0.0.1:" + cpPort,
        "--etcd-endpoints=" + etcd.endpoint(), "--service-cidr=127.96.0.0/16",
        "--lb-pools=127.0.2.0/24"));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> Files.readString(cpLog).contains("serving on 127.0.0.1:" + cpPort));
    System.out.println("control plane serving after " + since(start));

    ImageTar agent = ImageTar.unpack(tar(ComponentCli.NODE_AGENT), dir.resolve("run-agent"));
    int adminPort = EtcdProcess.freePort();
    STARTED.add(agent.run(dir.resolve("node-agent.log"), "--insecure", "--node-name=image-node",
        "--node-address=127.0.1.77", "--control-plane=127.0.0.1:" + cpPort,
        "--admin-port=" + adminPort));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> status("http://127.0.1.77:" + adminPort + "/readyz") == 200);
    System.out.println("node agent ready after " + since(start));

    ImageTar lb = ImageTar.unpack(tar(ComponentCli.CLOUD_LB), dir.resolve("run-lb"));
    int metricsPort = EtcdProcess.freePort();
    STARTED.add(lb.run(dir.resolve("cloud-lb.log"), "--insecure", "--name=image-lb",
        "--control-plane=127.0.0.1:" + cpPort, "--metrics-host=127.0.0.1",
        "--metrics-port=" + metricsPort));
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> status("http://127.0.0.1:" + metricsPort + "/metrics") == 200);
    System.out.println("cloud-lb metrics after " + since(start));

    // The agent's ip(8) runs from the image too (route mode): its libraries are all there.
    Processes.Result ip = agent.exec(List.of("ip", "-V"));
    assertThat(ip.exitCode()).as(ip.stderr()).isZero();
    assertThat(ip.stdout()).contains("iproute2");
  }

  private static String since(long start) {
    return Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms";
  }

  private static int status(String url) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static Path tar(ComponentCli c) {
    String module = c.repository.substring(c.repository.indexOf('/') + 1);
    Path tar = Processes.root().resolve(module + "/target/image/switchboard-" + module + ".tar");
    assertThat(tar).as("built by bin/build-images").exists();
    return tar;
  }
}
