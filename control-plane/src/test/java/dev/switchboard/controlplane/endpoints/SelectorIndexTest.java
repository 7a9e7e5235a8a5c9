package dev.switchboard.controlplane.endpoints;

import static dev.switchboard.controlplane.endpoints.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SelectorIndexTest {

  private final SelectorIndex index = new SelectorIndex();

  private List<String> selecting(String namespace, Map<String, String> labels) {
    return index.servicesSelecting(namespace, labels).stream()
        .map(s -> s.getMetadata().getName())
        .sorted()
        .toList();
  }

  @Test
  void selectsServicesWhoseSelectorIsASubsetOfTheLabels() {
    index.put(service("web", Map.of("app", "web")));
    index.put(service("web-front", Map.of("app", "web", "tier", "front")));
    index.put(service("db", Map.of("app", "db")));

    assertThat(selecting("default", Map.of("app", "web"))).containsExactly("web");
    assertThat(selecting("default", Map.of("app", "web", "tier", "front", "x", "y")))
        .containsExactly("web", "web-front");
    assertThat(selecting("default", Map.of("tier", "front"))).isEmpty();
    assertThat(selecting("default", Map.of())).isEmpty();
  }

  @Test
  void namespacesAreSeparate() {
    index.put(service("a", "web", Map.of("app", "web")));
    index.put(service("b", "web", Map.of("app", "web")));
    assertThat(index.servicesSelecting("a", Map.of("app", "web")))
        .extracting(s -> s.getMetadata().getNamespace())
        .containsExactly("a");
    assertThat(selecting("c", Map.of("app", "web"))).isEmpty();
  }

  @Test
  void selectorLessServicesAreKeptButNeverSelected() {
    Service db = service("db", Map.of());
    index.put(db);
    assertThat(index.get("default", "db")).contains(db);
    assertThat(index.size()).isEqualTo(1);
    assertThat(selecting("default", Map.of("app", "db"))).isEmpty();
  }

  @Test
  void putReplacesTheSelectorAndRemoveForgets() {
    index.put(service("web", Map.of("app", "web")));
    index.put(service("web", Map.of("app", "web2")));
    assertThat(index.size()).isEqualTo(1);
    assertThat(selecting("default", Map.of("app", "web"))).isEmpty();
    assertThat(selecting("default", Map.of("app", "web2"))).containsExactly("web");

    assertThat(index.remove("default", "web")).isPresent();
    assertThat(index.remove("default", "web")).isEmpty();
    assertThat(selecting("default", Map.of("app", "web2"))).isEmpty();
    assertThat(index.size()).isZero();
    assertThat(index.all()).isEmpty();
  }

  @Test
  void aPairSharedByManyServicesStillFindsOnlyTheMatchingOnes() {
    for (int i = 0; i < 100; i++) {
      index.put(service("svc-" + i, Map.of("env", "prod", "app", "app-" + i)));
    }
    assertThat(selecting("default", Map.of("env", "prod", "app", "app-42")))
        .containsExactly("svc-42");
    assertThat(selecting("default", Map.of("env", "prod"))).isEmpty();
    assertThat(selecting("default", Map.of("app", "app-42"))).isEmpty();
  }

  /** The index must answer exactly what a scan of all services answers. */
  @Test
  void agreesWithAFullScanOnRandomSelectors() {
    Random random = new Random(42);
    Map<String, Service> all = new HashMap<>();
    for (int step = 0; step < 3000; step++) {
      String name = "svc-" + random.nextInt(200);
      if (random.nextInt(5) == 0) {
        index.remove("default", name);
        all.remove(name);
      } else {
        Service service = service(name, randomLabels(random, 3));
        index.put(service);
        all.put(name, service);
      }
      Map<String, String> labels = randomLabels(random, 5);
      List<String> expected = new ArrayList<>();
      for (Service service : all.values()) {
        if (EndpointsBuilder.selects(service.getSpec().getSelectorMap(), labels)) {
          expected.add(service.getMetadata().getName());
        }
      }
      assertThat(selecting("default", labels)).containsExactlyInAnyOrderElementsOf(expected);
    }
    assertThat(index.size()).isEqualTo(all.size());
  }

  private static Map<String, String> randomLabels(Random random, int max) {
    Map<String, String> labels = new HashMap<>();
    int count = random.nextInt(max + 1);
    for (int i = 0; i < count; i++) {
      labels.put("k" + random.nextInt(4), "v" + random.nextInt(3));
    }
    return labels;
  }
}
