package dev.switchboard.controlplane.endpoints;

import static dev.switchboard.controlplane.endpoints.Fixtures.containerPort;
import static dev.switchboard.controlplane.endpoints.Fixtures.namedPort;
import static dev.switchboard.controlplane.endpoints.Fixtures.pod;
import static dev.switchboard.controlplane.endpoints.Fixtures.port;
import static dev.switchboard.controlplane.endpoints.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The tracker's incremental answers must equal recomputing every service from every pod after every
 * event, and the changes it reports must be exactly the difference between the two.
 */
class EndpointsTrackerModelTest {

  private static final List<String> NAMESPACES = List.of("a", "b");

  @Test
  void incrementalResultsEqualAFullRecomputeAfterEveryEvent() {
    Random random = new Random(1234);
    EndpointsTracker tracker = new EndpointsTracker();
    Map<String, Service> services = new HashMap<>();
    Map<String, Pod> pods = new HashMap<>();
    Map<String, Endpoints> expected = new TreeMap<>();

    for (int step = 0; step < 4000; step++) {
      String namespace = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
      List<EndpointsChange> changes;
      switch (random.nextInt(6)) {
        case 0 -> {
          Service s = randomService(random, namespace);
          services.put(key(namespace, s.getMetadata().getName()), s);
          changes = tracker.onServiceUpsert(s);
        }
        case 1 -> {
          String name = "svc-" + random.nextInt(15);
          services.remove(key(namespace, name));
          changes = tracker.onServiceDelete(namespace, name);
        }
        case 2 -> {
          String name = "pod-" + random.nextInt(60);
          pods.remove(key(namespace, name));
          changes = tracker.onPodDelete(namespace, name);
        }
        default -> {
          Pod p = randomPod(random, namespace);
          pods.put(key(namespace, p.getMetadata().getName()), p);
          changes = tracker.onPodUpsert(p);
        }
      }
      Map<String, Endpoints> next = recomputeAll(services, pods);
      assertThat(changes).as("step %d", step).containsExactlyElementsOf(diff(expected, next));
      expected = next;
      assertThat(tracker.all()).containsExactlyElementsOf(next.values());
    }
    // A resync with the same state reports nothing.
    assertThat(tracker.resync(services.values(), pods.values())).isEmpty();
    assertThat(tracker.all()).containsExactlyElementsOf(expected.values());
  }

  private static Map<String, Endpoints> recomputeAll(
      Map<String, Service> services, Map<String, Pod> pods) {
    Map<String, Endpoints> out = new TreeMap<>();
    for (Service s : services.values()) {
      Optional<Endpoints> e = EndpointsBuilder.build(s, pods.values());
      e.ifPresent(
          endpoints ->
              out.put(key(s.getMetadata().getNamespace(), s.getMetadata().getName()), endpoints));
    }
    return out;
  }

  /** The changes that take {@code before} to {@code after}, sorted by namespace and name. */
  private static List<EndpointsChange> diff(
      Map<String, Endpoints> before, Map<String, Endpoints> after) {
    TreeMap<String, EndpointsChange> changes = new TreeMap<>();
    for (Map.Entry<String, Endpoints> e : after.entrySet()) {
      if (!e.getValue().equals(before.get(e.getKey()))) {
        changes.put(
            e.getKey(),
            new EndpointsChange(
                e.getValue().getMetadata().getNamespace(),
                e.getValue().getMetadata().getName(),
                e.getValue()));
      }
    }
    for (String gone : before.keySet()) {
      if (!after.containsKey(gone)) {
        String[] parts = gone.split("/");
        changes.put(gone, new EndpointsChange(parts[0], parts[1], null));
      }
    }
    return new ArrayList<>(changes.values());
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private static Service randomService(Random random, String namespace) {
    Map<String, String> selector = random.nextInt(8) == 0 ? Map.of() : randomLabels(random, 1, 2);
    Service s =
        random.nextBoolean()
            ? service(
                namespace,
                "svc-" + random.nextInt(15),
                selector,
                port("", 80, 8000 + random.nextInt(3)))
            : service(
                namespace,
                "svc-" + random.nextInt(15),
                selector,
                namedPort("http", "TCP", 80, "http"),
                namedPort("dns", "UDP", 53, "dns"));
    if (random.nextInt(4) == 0) {
      s = s.toBuilder().setSpec(s.getSpec().toBuilder().setPublishNotReadyAddresses(true)).build();
    }
    return s;
  }

  private static Pod randomPod(Random random, String namespace) {
    int n = random.nextInt(60);
    String ip = random.nextInt(10) == 0 ? "" : "127.0.10." + n;
    Pod p =
        switch (random.nextInt(3)) {
          case 0 ->
              pod(namespace, "pod-" + n, ip, randomLabels(random, 0, 3), random.nextBoolean());
          case 1 ->
              pod(
                  namespace,
                  "pod-" + n,
                  ip,
                  randomLabels(random, 0, 3),
                  random.nextBoolean(),
                  containerPort("http", 8000 + random.nextInt(3), "TCP"));
          default ->
              pod(
                  namespace,
                  "pod-" + n,
                  ip,
                  randomLabels(random, 0, 3),
                  random.nextBoolean(),
                  containerPort("dns", 5353, random.nextBoolean() ? "UDP" : "TCP"));
        };
    return random.nextInt(5) == 0 ? Fixtures.withTerminating(p, true) : p;
  }

  private static Map<String, String> randomLabels(Random random, int min, int max) {
    Map<String, String> labels = new HashMap<>();
    int count = min + random.nextInt(max - min + 1);
    while (labels.size() < count) {
      labels.put("k" + random.nextInt(3), "v" + random.nextInt(2));
    }
    return labels;
  }
}
