package dev.switchboard.controlplane.it;

import static dev.switchboard.controlplane.it.Cluster.pod;
import static dev.switchboard.controlplane.it.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.controlplane.ControlPlane;
import dev.switchboard.controlplane.discovery.DiscoveryService.SubscriberStatus;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.testing.EtcdProcess;
import dev.switchboard.v1.Ack;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Role;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.SetPodConditionsRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fan-out: a change owed alike to many subscribers is serialized once and the same bytes go to
 * each; a subscriber too slow to take it keeps its own coalesced backlog and still converges.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryFanoutTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static EtcdProcess etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdProcess.start();
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  @Test
  void caughtUpSubscribersReceiveByteIdenticalDeltas() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      applyService(admin, service("web", "NodePort", 80));
      admin.applyPod(ApplyPodRequest.newBuilder()
          .setPod(pod("web-1", "web", "127.0.10.1", "n1", true)).build());
      RawSubscriber a = RawSubscriber.connect(cluster.channel(cp), "n1");
      RawSubscriber b = RawSubscriber.connect(cluster.channel(cp), "n2");
      long settled = cp.published().version();
      await().atMost(WAIT).until(() -> a.version() >= settled && b.version() >= settled
          && acked(cp, "n1", "n2", cp.published().version()));
      int aBefore = a.frames.size();
      int bBefore = b.frames.size();

      admin.setPodConditions(SetPodConditionsRequest.newBuilder().setNamespace("default")
          .setName("web-1").setReady(false).build());
      long flipped = admin.getPod(GetRequest.newBuilder().setNamespace("default")
          .setName("web-1").build()).getMetadata().getResourceVersion();
      await().atMost(WAIT).until(() -> a.version() >= flipped && b.version() >= flipped);

      List<byte[]> toA = a.frames.subList(aBefore, a.frames.size());
      List<byte[]> toB = b.frames.subList(bBefore, b.frames.size());
      assertThat(toA).hasSameSizeAs(toB).isNotEmpty();
      for (int i = 0; i < toA.size(); i++) {
        assertThat(toA.get(i)).isEqualTo(toB.get(i));
      }
      DiscoveryResponse delta = parse(toA.get(toA.size() - 1));
      assertThat(delta.getSnapshot()).isFalse();
      assertThat(delta.getVersion()).isEqualTo(flipped);
      assertThat(delta.getResourcesList()).singleElement().satisfies(r ->
          assertThat(r.getEndpoints().getEndpoints(0).getConditions().getReady()).isFalse());
      // Each subscriber is still counted for what it was sent.
      assertThat(cp.discovery().subscribers()).extracting(SubscriberStatus::bytesSent)
          .allMatch(bytes -> bytes > 0);
      a.close();
      b.close();
    }
  }

  @Test
  void aSlowSubscriberConvergesToTheLatestStateOfEachObject() {
    try (Cluster cluster = new Cluster(etcd)) {
      ControlPlane cp = cluster.start();
      AdminGrpc.AdminBlockingStub admin = cluster.admin(cp);
      TestSubscriber slow = TestSubscriber.connect(cluster.channel(cp), "slow", Role.AGENT, 0, null, true);
      TestSubscriber fast = TestSubscriber.connect(cluster.channel(cp), "fast", Role.AGENT, 0, null, false);
      // Fill the slow stream's flow-control window, so what follows queues on the server.
      String big = "x".repeat(60_000);
      for (int i = 0; i < 40; i++) {
        Service s = service("svc-" + i, "ClusterIP", 80);
        applyService(admin, s.toBuilder().setMetadata(s.getMetadata().toBuilder()
            .putAnnotations("blob", big)).build());
      }
      await().atMost(WAIT).until(() -> pending(cp, "slow") > 0);
      // The same objects change again and again while it is stalled; one goes away.
      for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 3; i++) {
          Service s = service("svc-" + i, "ClusterIP", 80);
          applyService(admin, s.toBuilder().setMetadata(s.getMetadata().toBuilder()
              .putAnnotations("round", Integer.toString(round))).build());
        }
      }
      admin.deleteService(DeleteRequest.newBuilder().setNamespace("default").setName("svc-39").build());
      long last = cp.published().version();
      await().atMost(WAIT).until(() -> fast.version >= last);
      assertThat(slow.version).isZero();
      assertThat(pending(cp, "slow")).isLessThanOrEqualTo(cp.published().snapshot().size());

      slow.resume();
      await().atMost(WAIT).until(() -> slow.version >= cp.published().version()
          && fast.version >= cp.published().version());
      assertThat(slow.state).isEqualTo(cp.published().snapshot());
      assertThat(slow.state).isEqualTo(fast.state);
      assertThat(slow.state.get(new ResourceId(Kind.SERVICE, "default", "svc-0")).getService()
          .getMetadata().getAnnotationsMap()).containsEntry("round", "5");
      assertThat(slow.state).doesNotContainKey(new ResourceId(Kind.SERVICE, "default", "svc-39"));
      assertThat(slow.errors).isEmpty();
      slow.close();
      fast.close();
    }
  }

  private static int pending(ControlPlane cp, String node) {
    return cp.discovery().subscribers().stream().filter(s -> s.nodeName().equals(node))
        .mapToInt(SubscriberStatus::pending).sum();
  }

  private static boolean acked(ControlPlane cp, String first, String second, long version) {
    return cp.discovery().subscribers().stream()
        .filter(s -> s.nodeName().equals(first) || s.nodeName().equals(second))
        .filter(s -> s.ackedVersion() >= version).count() == 2;
  }

  private static void applyService(AdminGrpc.AdminBlockingStub admin, Service s) {
    admin.applyService(ApplyServiceRequest.newBuilder().setService(s).build());
  }

  private static DiscoveryResponse parse(byte[] frame) {
    try {
      return DiscoveryResponse.parseFrom(frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An agent's stream that keeps every response as the bytes that came off the wire. */
  private static final class RawSubscriber {
    private static final MethodDescriptor<DiscoveryRequest, byte[]> RAW =
        DiscoveryGrpc.getStreamMethod().toBuilder(DiscoveryGrpc.getStreamMethod()
            .getRequestMarshaller(), new MethodDescriptor.Marshaller<byte[]>() {
              @Override
              public InputStream stream(byte[] value) {
                return new ByteArrayInputStream(value);
              }

              @Override
              public byte[] parse(InputStream stream) {
                try {
                  return stream.readAllBytes();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            }).build();

    final List<byte[]> frames = new CopyOnWriteArrayList<>();
    private volatile long version;
    private StreamObserver<DiscoveryRequest> requests;

    static RawSubscriber connect(ManagedChannel channel, String node) {
      RawSubscriber s = new RawSubscriber();
      s.requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(RAW, CallOptions.DEFAULT),
          new StreamObserver<>() {
            @Override
            public void onNext(byte[] frame) {
              s.frames.add(frame);
              DiscoveryResponse r = parse(frame);
              if (!r.getMore()) {
                s.version = r.getVersion();
              }
              synchronized (s) {
                s.requests.onNext(DiscoveryRequest.newBuilder().setAck(Ack.newBuilder()
                    .setNonce(r.getNonce()).setVersion(r.getVersion())).build());
              }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      synchronized (s) {
        s.requests.onNext(DiscoveryRequest.newBuilder().setHello(Hello.newBuilder()
            .setNodeName(node).setNodeAddress("127.0.1.1").setRole(Role.AGENT)).build());
      }
      return s;
    }

    long version() {
      return version;
    }

    synchronized void close() {
      requests.onCompleted();
    }
  }
}
