package dev.switchboard.e2e;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Role;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What cloud-lb is told about nodes, seen from the test: a LOAD_BALANCER Discovery stream that
 * records when each node was last published not ready (System.nanoTime).
 */
final class NodeReadiness implements AutoCloseable {
  private final ManagedChannel channel;
  private final Map<String, Long> notReadySince = new ConcurrentHashMap<>();
  private volatile ClientCallStreamObserver<DiscoveryRequest> requests;

  NodeReadiness(String controlPlane) {
    channel = NettyChannelBuilder.forTarget(controlPlane).usePlaintext().build();
    DiscoveryGrpc.newStub(channel).stream(
        new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
            requests = stream;
          }

          @Override
          public void onNext(DiscoveryResponse response) {
            long now = System.nanoTime();
            for (Resource r : response.getResourcesList()) {
              if (r.hasNode()) {
                String name = r.getNode().getMetadata().getName();
                if (r.getNode().getReady()) {
                  notReadySince.remove(name);
                } else {
                  notReadySince.putIfAbsent(name, now);
                }
              }
            }
            requests.onNext(
                DiscoveryRequest.newBuilder()
                    .setAck(
                        Ack.newBuilder()
                            .setNonce(response.getNonce())
                            .setVersion(response.getVersion()))
                    .build());
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setHello(Hello.newBuilder().setNodeName("e2e-observer").setRole(Role.LOAD_BALANCER))
            .build());
  }

  /** When {@code node} was published not ready, or 0 while it is ready. */
  long notReadySince(String node) {
    return notReadySince.getOrDefault(node, 0L);
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
