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
 * The image tars bin/build-images made (-Pimages): named as the manifests say, and runnable. Each
 * image's layers are unpacked into a directory and its entrypoint is run there as the image's user,
 * in a mount and PID namespace with its own /proc ({@code unshare --root}, root only; CI runs as
 * root), sharing the host's loopback: a control plane on a real etcd, a node agent that becomes
 * ready on it, a cloud-lb that the control plane counts as subscribed.
 */
@Tag("images")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ImageTarTest {
  @TempDir static Path dir;
  private static final List<Process> STARTED = new ArrayList<>();
  private static final java.util.Map<ComponentCli, ImageTar> UNPACKED =
      new java.util.EnumMap<>(ComponentCli.class);
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
      ImageTar image = unpacked(c);
      assertThat(image.repoTags()).containsExactly(ImageNamesTest.jibImage(c));
      List<String> entrypoint = image.entrypoint();
      String mainClass = entrypoint.get(entrypoint.size() - 1);
      assertThat(entrypoint.get(0)).isEqualTo("java");
      assertThat(image.rootfs().resolve("app/classes/" + mainClass.replace('.', '/') + ".class"))
          .as("%s: main class %s", c, mainClass)
          .exists();
      for (String entry :
          Files.readString(image.rootfs().resolve("app/jib-classpath-file")).trim().split(":")) {
        if (!entry.endsWith("*")) {
          assertThat(image.rootfs().resolve(entry.substring(1))).as("%s classpath", c).exists();
        }
      }
      assertThat(image.rootfs().resolve("opt/java/bin/java")).isExecutable();
    }
  }

  @Test
  void theImagesRunAControlPlaneAndANodeAgentAndACloudLbSubscribedToIt() throws Exception {
    long start = System.nanoTime();
    ImageTar cp = unpacked(ComponentCli.CONTROL_PLANE);
    ImageTar agent = unpacked(ComponentCli.NODE_AGENT);
    ImageTar lb = unpacked(ComponentCli.CLOUD_LB);
    int cpPort = EtcdProcess.freePort();
    int cpMetrics = EtcdProcess.freePort();
    int adminPort = EtcdProcess.freePort();
    int lbMetrics = EtcdProcess.freePort();
    // All at once: the agent and cloud-lb retry until the control plane is up, as in a cluster.
    STARTED.add(
        cp.run(
            dir.resolve("control-plane.log"),
            "--insecure",
            "--listen=127.0.0.1:" + cpPort,
            "--metrics-port=" + cpMetrics,
            "--etcd-endpoints=" + etcd.endpoint(),
            "--service-cidr=127.96.0.0/16",
            "--lb-pools=127.0.2.0/24"));
    STARTED.add(
        agent.run(
            dir.resolve("node-agent.log"),
            "--insecure",
            "--node-name=image-node",
            "--node-address=127.0.1.77",
            "--control-plane=127.0.0.1:" + cpPort,
            "--admin-port=" + adminPort));
    STARTED.add(
        lb.run(
            dir.resolve("cloud-lb.log"),
            "--insecure",
            "--name=image-lb",
            "--control-plane=127.0.0.1:" + cpPort,
            "--metrics-host=127.0.0.1",
            "--metrics-port=" + lbMetrics));

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status("http://127.0.1.77:" + adminPort + "/readyz") == 200);
    System.out.println("node agent ready after " + since(start));
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> subscribers("http://127.0.0.1:" + cpMetrics + "/metrics", "LOAD_BALANCER") == 1);
    System.out.println("cloud-lb subscribed after " + since(start));
    assertThat(subscribers("http://127.0.0.1:" + cpMetrics + "/metrics", "AGENT")).isEqualTo(1);
    assertThat(status("http://127.0.0.1:" + lbMetrics + "/metrics")).isEqualTo(200);

    // The agent's ip(8) runs from the image too (route mode): its libraries are all there.
    Processes.Result ip = agent.exec(List.of("ip", "-V"));
    assertThat(ip.exitCode()).as(ip.stderr()).isZero();
    assertThat(ip.stdout()).contains("iproute2");
    // So do nft and conntrack (--proxy-mode nftables, the manifests' mode).
    Processes.Result nft = agent.exec(List.of("nft", "--version"));
    assertThat(nft.exitCode()).as(nft.stderr()).isZero();
    assertThat(nft.stdout()).startsWith("nftables v");
    Processes.Result conntrack = agent.exec(List.of("conntrack", "--version"));
    assertThat(conntrack.exitCode()).as(conntrack.stderr()).isZero();
    assertThat(conntrack.stdout() + conntrack.stderr()).contains("conntrack v");
  }

  /** The control plane's {@code switchboard_discovery_subscribers} gauge for {@code role}. */
  private static int subscribers(String url, String role) throws InterruptedException {
    try {
      String body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return body.lines()
          .filter(
              l ->
                  l.startsWith("switchboard_discovery_subscribers{")
                      && l.contains("role=\"" + role + "\""))
          .mapToInt(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
          .sum();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String since(long start) {
    return Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms";
  }

  private static int status(String url) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Each image unpacked once (about 2 s each); the tests only read the files. */
  private static synchronized ImageTar unpacked(ComponentCli c) throws Exception {
    ImageTar image = UNPACKED.get(c);
    if (image == null) {
      image = ImageTar.unpack(tar(c), dir.resolve(c.name()));
      UNPACKED.put(c, image);
    }
    return image;
  }

  private static Path tar(ComponentCli c) {
    String module = c.repository.substring(c.repository.indexOf('/') + 1);
    Path tar = Processes.root().resolve(module + "/target/image/switchboard-" + module + ".tar");
    assertThat(tar).as("built by bin/build-images").exists();
    return tar;
  }
}
