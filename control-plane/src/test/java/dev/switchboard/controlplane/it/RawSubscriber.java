package dev.switchboard.controlplane.it;

import dev.switchboard.v1.Ack;
import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryRequest;
import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Hello;
import dev.switchboard.v1.Role;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An agent's stream that keeps every response as the bytes that came off the wire; ACKs each. */
final class RawSubscriber implements AutoCloseable {
  private static final MethodDescriptor<DiscoveryRequest, byte[]> RAW =
      DiscoveryGrpc.getStreamMethod().toBuilder(
              DiscoveryGrpc.getStreamMethod().getRequestMarshaller(),
              new MethodDescriptor.Marshaller<byte[]>() {
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
              })
          .build();

  final List<byte[]> frames = new CopyOnWriteArrayList<>();
  private volatile long version;
  private StreamObserver<DiscoveryRequest> requests;

  static RawSubscriber connect(ManagedChannel channel, String node) {
    return connect(channel, node, Role.AGENT);
  }

  static RawSubscriber connect(ManagedChannel channel, String node, Role role) {
    RawSubscriber s = new RawSubscriber();
    StreamObserver<DiscoveryRequest> requests =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(RAW, CallOptions.DEFAULT),
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] frame) {
                s.frames.add(frame);
                DiscoveryResponse r = parse(frame);
                if (!r.getMore()) {
                  s.version = r.getVersion();
                }
                s.send(
                    DiscoveryRequest.newBuilder()
                        .setAck(Ack.newBuilder().setNonce(r.getNonce()).setVersion(r.getVersion()))
                        .build());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    synchronized (s) {
      s.requests = requests;
    }
    s.send(
        DiscoveryRequest.newBuilder()
            .setHello(
                Hello.newBuilder().setNodeName(node).setNodeAddress("127.0.1.1").setRole(role))
            .build());
    return s;
  }

  static DiscoveryResponse parse(byte[] frame) {
    try {
      return DiscoveryResponse.parseFrom(frame);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The version of the last complete batch received. */
  long version() {
    return version;
  }

  private synchronized void send(DiscoveryRequest request) {
    requests.onNext(request);
  }

  @Override
  public synchronized void close() {
    requests.onCompleted();
  }
}
