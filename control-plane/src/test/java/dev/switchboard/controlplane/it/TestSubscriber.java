package dev.switchboard.controlplane.it;

import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import dev.switchboard.v1.Role;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A subscriber as an agent is one: applies snapshots and deltas to the state it holds, ACKs each
 * response. {@code stalled} ones never read, to show they cannot hold the others back.
 */
final class TestSubscriber implements AutoCloseable {
  final Map<ResourceId, Resource> state = new ConcurrentHashMap<>();
  final LinkedBlockingQueue<DiscoveryResponse> received = new LinkedBlockingQueue<>();
  final List<Throwable> errors = new CopyOnWriteArrayList<>();
  volatile long version;
  private volatile ClientCallStreamObserver<DiscoveryRequest> requests;

  static TestSubscriber connect(
      ManagedChannel channel,
      String node,
      Role role,
      long lastVersion,
      Map<ResourceId, Resource> held,
      boolean stalled) {
    TestSubscriber s = new TestSubscriber();
    if (held != null) {
      s.state.putAll(held);
    }
    s.version = lastVersion;
    DiscoveryGrpc.newStub(channel).stream(
        new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
            s.requests = stream;
            if (stalled) {
              stream.disableAutoRequestWithInitial(0);
            }
          }

          @Override
          public void onNext(DiscoveryResponse response) {
            s.apply(response);
          }

          @Override
          public void onError(Throwable t) {
            s.errors.add(t);
          }

          @Override
          public void onCompleted() {}
        });
    s.requests.onNext(
        DiscoveryRequest.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setNodeName(node)
                    .setNodeAddress("127.0.1.1")
                    .setRole(role)
                    .setLastVersion(lastVersion))
            .build());
    return s;
  }

  private synchronized void apply(DiscoveryResponse response) {
    if (response.getSnapshot()) {
      state.clear();
    }
    for (Resource r : response.getResourcesList()) {
      state.put(ResourceId.of(r), r);
    }
    for (ResourceKey k : response.getRemovedList()) {
      state.remove(new ResourceId(k.getKind(), k.getNamespace(), k.getName()));
    }
    if (!response.getMore()) {
      version = response.getVersion();
    }
    received.add(response);
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setAck(
                Ack.newBuilder().setNonce(response.getNonce()).setVersion(response.getVersion()))
            .build());
  }

  @Override
  public void close() {
    try {
      requests.onCompleted();
    } catch (RuntimeException e) {
      // already closed
    }
  }

  /** A stalled subscriber starts reading (everything from now on). */
  void resume() {
    requests.request(Integer.MAX_VALUE);
  }

  void cancel() {
    requests.cancel("test", null);
  }
}
