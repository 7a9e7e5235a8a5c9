package dev.switchboard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The images the manifests run are the ones Jib builds: each component's pom sets {@code
 * image.name}, which the parent's Jib configuration uses as {@code to.image}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ImageNamesTest {
  private static final Pattern IMAGE_NAME = Pattern.compile("<image\\.name>([^<]+)</image\\.name>");

  /** {@code image.name} of a component's pom, with {@code ${project.version}} resolved. */
  static String jibImage(ComponentCli component) throws Exception {
    String module = component.repository.substring(component.repository.indexOf('/') + 1);
    String pom = Files.readString(Processes.root().resolve(module).resolve("pom.xml"));
    Matcher m = IMAGE_NAME.matcher(pom);
    assertThat(m.find()).as("%s/pom.xml sets image.name", module).isTrue();
    return m.group(1).replace("${project.version}", System.getProperty("switchboard.version"));
  }

  @Test
  void everySwitchboardImageOfEveryManifestIsTheOneJibBuilds() throws Exception {
    Set<String> built = new LinkedHashSet<>();
    for (ComponentCli c : ComponentCli.values()) {
      built.add(jibImage(c));
    }
    assertThat(built)
        .containsExactly(
            "switchboard/control-plane:" + System.getProperty("switchboard.version"),
            "switchboard/node-agent:" + System.getProperty("switchboard.version"),
            "switchboard/cloud-lb:" + System.getProperty("switchboard.version"));
    for (String target : Kustomize.TARGETS) {
      Set<String> used = new LinkedHashSet<>();
      for (Manifest.Container c : Kustomize.render(target).containers()) {
        if (ComponentCli.forImage(c.image()).isPresent()) {
          used.add(c.image());
        } else {
          assertThat(EtcdCli.isEtcd(c.image())).as("%s: image %s", c.where(), c.image()).isTrue();
        }
      }
      assertThat(used).as(target).containsExactlyInAnyOrderElementsOf(built);
    }
  }
}
