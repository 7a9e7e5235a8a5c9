package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.store.EtcdStore;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Watch from a resource_version, as an informer does after a list: what changed since that version
 * arrives first (each object's latest state), then the bookmark, then live changes; a compacted
 * version is refused with OUT_OF_RANGE (Kubernetes' 410 Gone). Real etcd.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminWatchReplayTest {
  private static EtcdProcess etcd;
  private static Cluster cluster;
  private static ControlPlane cp;
  private static AdminGrpc.AdminBlockingStub admin;
  private static EtcdStore store;

  @BeforeAll
  static void start() {
    etcd = EtcdProcess.start();
    cluster = new Cluster(etcd);
    cp = cluster.start();
    admin = cluster.admin(cp);
    store = cluster.store();
  }

  @AfterAll
  static void stop() {
    store.close();
    cluster.close();
    etcd.close();
  }

  @Test
  void servicesChangedSinceAListArriveBeforeTheBookmarkThenLiveChanges() {
    Service kept = apply(inNamespace(service("kept", "ClusterIP", 80), "replay"));
    apply(inNamespace(service("unchanged", "ClusterIP", 80), "replay"));
    apply(inNamespace(service("gone", "ClusterIP", 80), "replay"));
    long listed =
        admin
            .listServices(ListRequest.newBuilder().setNamespace("replay").build())
            .getResourceVersion();

    apply(inNamespace(service("new", "ClusterIP", 80), "replay"));
    apply(kept.toBuilder().setMetadata(kept.getMetadata().toBuilder().putLabels("v", "2")).build());
    admin.deleteService(DeleteRequest.newBuilder().setNamespace("replay").setName("gone").build());
    apply(inNamespace(service("elsewhere", "ClusterIP", 80), "other")); // not watched

    Recorder events =
        watch(
            WatchRequest.newBuilder()
                .setKind(Kind.SERVICE)
                .setNamespace("replay")
                .setResourceVersion(listed)
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.hasBookmark());
    assertThat(events.beforeBookmark())
        .containsExactlyInAnyOrder("ADDED new", "MODIFIED kept", "DELETED gone");

    apply(inNamespace(service("live", "ClusterIP", 80), "replay"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> events.afterBookmark().contains("ADDED live"));
    assertThat(events.error.get()).isNull();
  }

  @Test
  void podsChangedSinceAListArriveToo() {
    admin.applyPod(
        ApplyPodRequest.newBuilder()
            .setPod(pod("p-kept", "rp", "127.0.10.91", "n1", false))
            .build());
    admin.applyPod(
        ApplyPodRequest.newBuilder()
            .setPod(pod("p-gone", "rp", "127.0.10.92", "n1", true))
            .build());
    long listed =
        admin
            .listPods(ListRequest.newBuilder().setLabelSelector("app=rp").build())
            .getResourceVersion();
    admin.applyPod(
        ApplyPodRequest.newBuilder()
            .setPod(pod("p-kept", "rp", "127.0.10.91", "n1", true))
            .build());
    admin.deletePod(DeleteRequest.newBuilder().setNamespace("default").setName("p-gone").build());
    admin.applyPod(
        ApplyPodRequest.newBuilder().setPod(pod("p-new", "rp", "127.0.10.93", "n1", true)).build());

    Recorder events =
        watch(
            WatchRequest.newBuilder()
                .setKind(Kind.POD)
                .setLabelSelector("app=rp")
                .setResourceVersion(listed)
                .build());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.hasBookmark());
    assertThat(events.beforeBookmark())
        .containsExactlyInAnyOrder("MODIFIED p-kept", "DELETED p-gone", "ADDED p-new");
  }

  @Test
  void aCompactedVersionIsRefusedWithOutOfRange() {
    long old = admin.listServices(ListRequest.newBuilder().build()).getResourceVersion();
    apply(inNamespace(service("after-old", "ClusterIP", 80), "compacted"));
    store.compact(store.currentRevision());

    Recorder events =
        watch(WatchRequest.newBuilder().setKind(Kind.SERVICE).setResourceVersion(old).build());
    await().atMost(Duration.ofSeconds(10)).until(() -> events.error.get() != null);
    Status status = Status.fromThrowable(events.error.get());
    assertThat(status.getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(status.getDescription()).startsWith("too old resource version: " + old);
    assertThat(events.all).isEmpty();
  }

  private static Service apply(Service s) {
    return admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
  }

  private static Service inNamespace(Service s, String namespace) {
    return s.toBuilder().setMetadata(s.getMetadata().toBuilder().setNamespace(namespace)).build();
  }

  private static Recorder watch(WatchRequest request) {
    Recorder r = new Recorder();
    AdminGrpc.newStub(cluster.channel(cp)).watch(request, r);
    return r;
  }

  /** Events as "TYPE name", in arrival order. */
  private static final class Recorder implements StreamObserver<WatchEvent> {
    final List<String> all = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public void onNext(WatchEvent e) {
      String name =
          switch (e.getObjectCase()) {
            case SERVICE -> e.getService().getMetadata().getName();
            case POD -> e.getPod().getMetadata().getName();
            default -> "";
          };
      all.add((e.getType() + " " + name).trim());
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {}

    boolean hasBookmark() {
      return all.contains("BOOKMARK");
    }

    List<String> beforeBookmark() {
      return all.subList(0, all.indexOf("BOOKMARK"));
    }

    List<String> afterBookmark() {
      return all.subList(all.indexOf("BOOKMARK") + 1, all.size());
    }

    @Override
    public String toString() {
      return all.toString();
    }
  }
}
