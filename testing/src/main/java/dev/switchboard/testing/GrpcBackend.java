package dev.switchboard.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A gRPC server on a loopback address for the HTTP/2 mode's tests and benchmark, with a service of
 * its own ({@code test.Backend}, byte-array messages: no proto needed) whose methods each show one
 * thing: who answered, server/client/bidi streaming, a status with trailers, a call held until
 * released (to see cancellations and deadlines arrive). Counts calls, cancellations and transports.
 */
public final class GrpcBackend implements AutoCloseable {

  /** Byte arrays as they are. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
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
      };

  public static final String SERVICE = "test.Backend";

  /** Unary: answers the backend's name. */
  public static final MethodDescriptor<byte[], byte[]> WHO =
      method("Who", MethodDescriptor.MethodType.UNARY);

  /** Server streaming: request {@link #sourceRequest}; answers that many bytes in chunks. */
  public static final MethodDescriptor<byte[], byte[]> SOURCE =
      method("Source", MethodDescriptor.MethodType.SERVER_STREAMING);

  /** Client streaming: answers the number of bytes received (8 bytes, big-endian). */
  public static final MethodDescriptor<byte[], byte[]> SUM =
      method("Sum", MethodDescriptor.MethodType.CLIENT_STREAMING);

  /** Bidi streaming: each message back as it is. */
  public static final MethodDescriptor<byte[], byte[]> ECHO =
      method("Echo", MethodDescriptor.MethodType.BIDI_STREAMING);

  /** Unary: fails with the status code in the request, "nope", and trailer {@code x-trailer}. */
  public static final MethodDescriptor<byte[], byte[]> FAIL =
      method("Fail", MethodDescriptor.MethodType.UNARY);

  /** Unary: answers once {@link #release()} is called (or sees the call cancelled). */
  public static final MethodDescriptor<byte[], byte[]> HOLD =
      method("Hold", MethodDescriptor.MethodType.UNARY);

  public static final Metadata.Key<String> TRAILER =
      Metadata.Key.of("x-trailer", Metadata.ASCII_STRING_MARSHALLER);

  public final String name;
  public final AtomicInteger calls = new AtomicInteger();
  public final AtomicInteger cancellations = new AtomicInteger();
  public final AtomicInteger transportsOpened = new AtomicInteger();
  public final AtomicInteger transportsActive = new AtomicInteger();
  public final AtomicLong bytesSent = new AtomicLong();

  /** The {@code traceparent} of the last call, as the backend received it. */
  public volatile String lastTraceparent;

  private volatile CompletableFuture<Void> held = new CompletableFuture<>();
  private final Server server;

  private GrpcBackend(String host, String name, Consumer<NettyServerBuilder> tweak, int port)
      throws IOException {
    this.name = name;
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(service())
            .intercept(new TraceparentRecorder(this))
            .addTransportFilter(
                new ServerTransportFilter() {
                  @Override
                  public io.grpc.Attributes transportReady(io.grpc.Attributes a) {
                    transportsOpened.incrementAndGet();
                    transportsActive.incrementAndGet();
                    return a;
                  }

                  @Override
                  public void transportTerminated(io.grpc.Attributes a) {
                    transportsActive.decrementAndGet();
                  }
                });
    tweak.accept(b);
    this.server = b.build().start();
  }

  public static GrpcBackend start(String host, String name) throws IOException {
    return new GrpcBackend(host, name, b -> {}, 0);
  }

  public static GrpcBackend start(String host, String name, Consumer<NettyServerBuilder> tweak)
      throws IOException {
    return new GrpcBackend(host, name, tweak, 0);
  }

  /** On a given port (0: any free one). */
  public static GrpcBackend start(
      String host, String name, Consumer<NettyServerBuilder> tweak, int port) throws IOException {
    return new GrpcBackend(host, name, tweak, port);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /** Lets every held call answer. */
  public void release() {
    CompletableFuture<Void> h = held;
    held = new CompletableFuture<>();
    h.complete(null);
  }

  /** Graceful: GOAWAY to its clients, open calls finish, no new connections. */
  public void shutdown() {
    server.shutdown();
  }

  /** Killed: every connection cut. */
  public void kill() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  /** A plaintext channel (h2c prior knowledge, one connection) to {@code to}. */
  public static ManagedChannel channel(InetSocketAddress to) {
    return NettyChannelBuilder.forAddress(to).usePlaintext().build();
  }

  /**
   * {@code n} unary {@link #WHO} calls on {@code ch}, 64 in flight at a time; the answers counted
   * by backend name. Fails when any call fails or they take over 60 s.
   */
  public static Map<String, Integer> spread(Channel ch, int n) throws InterruptedException {
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(64);
    AtomicInteger errors = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      ClientCalls.asyncUnaryCall(
          ch.newCall(WHO, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)),
          new byte[0],
          new StreamObserver<>() {
            @Override
            public void onNext(byte[] v) {
              counts.merge(new String(v, StandardCharsets.UTF_8), 1, Integer::sum);
            }

            @Override
            public void onError(Throwable t) {
              errors.incrementAndGet();
              inFlight.release();
            }

            @Override
            public void onCompleted() {
              inFlight.release();
            }
          });
    }
    if (!inFlight.tryAcquire(64, 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException(n + " calls: not all answered within 60 s: " + counts);
    }
    if (errors.get() > 0) {
      throw new IllegalStateException(n + " calls: " + errors + " failed; answered: " + counts);
    }
    return counts;
  }

  public static byte[] sourceRequest(long totalBytes, int chunkBytes) {
    return ByteBuffer.allocate(12).putLong(totalBytes).putInt(chunkBytes).array();
  }

  private static MethodDescriptor<byte[], byte[]> method(
      String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  private ServerServiceDefinition service() {
    byte[] me = name.getBytes(StandardCharsets.UTF_8);
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(
            WHO,
            ServerCalls.asyncUnaryCall(
                (req, out) -> {
                  calls.incrementAndGet();
                  out.onNext(me);
                  out.onCompleted();
                }))
        .addMethod(SOURCE, ServerCalls.asyncServerStreamingCall(this::source))
        .addMethod(SUM, ServerCalls.asyncClientStreamingCall(this::sum))
        .addMethod(ECHO, ServerCalls.asyncBidiStreamingCall(this::echo))
        .addMethod(
            FAIL,
            ServerCalls.asyncUnaryCall(
                (req, out) -> {
                  calls.incrementAndGet();
                  Metadata trailers = new Metadata();
                  trailers.put(TRAILER, "kept from " + name);
                  int code = Integer.parseInt(new String(req, StandardCharsets.US_ASCII));
                  out.onError(
                      new StatusRuntimeException(
                          Status.fromCodeValue(code).withDescription("nope"), trailers));
                }))
        .addMethod(HOLD, ServerCalls.asyncUnaryCall(this::hold))
        .build();
  }

  /** Sends what was asked as the client's flow control allows (onReady), never more. */
  private void source(byte[] req, StreamObserver<byte[]> out) {
    calls.incrementAndGet();
    ByteBuffer b = ByteBuffer.wrap(req);
    long total = b.getLong();
    int chunk = b.getInt();
    ServerCallStreamObserver<byte[]> obs = (ServerCallStreamObserver<byte[]>) out;
    byte[] bytes = new byte[chunk];
    long[] left = {total};
    boolean[] done = {false};
    obs.setOnCancelHandler(cancellations::incrementAndGet);
    obs.setOnReadyHandler(
        () -> {
          while (obs.isReady() && left[0] > 0) {
            int n = (int) Math.min(chunk, left[0]);
            obs.onNext(n == chunk ? bytes : new byte[n]);
            left[0] -= n;
            bytesSent.addAndGet(n);
          }
          if (left[0] == 0 && !done[0]) {
            done[0] = true;
            obs.onCompleted();
          }
        });
  }

  private StreamObserver<byte[]> sum(StreamObserver<byte[]> out) {
    calls.incrementAndGet();
    long[] n = {0};
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        n[0] += value.length;
      }

      @Override
      public void onError(Throwable t) {
        cancellations.incrementAndGet();
      }

      @Override
      public void onCompleted() {
        out.onNext(ByteBuffer.allocate(8).putLong(n[0]).array());
        out.onCompleted();
      }
    };
  }

  private StreamObserver<byte[]> echo(StreamObserver<byte[]> out) {
    calls.incrementAndGet();
    return new StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {
        out.onNext(value);
      }

      @Override
      public void onError(Throwable t) {
        cancellations.incrementAndGet();
      }

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }

  private void hold(byte[] req, StreamObserver<byte[]> out) {
    calls.incrementAndGet();
    ServerCallStreamObserver<byte[]> obs = (ServerCallStreamObserver<byte[]>) out;
    obs.setOnCancelHandler(cancellations::incrementAndGet);
    held.thenRun(
        () -> {
          if (!obs.isCancelled()) {
            obs.onNext(name.getBytes(StandardCharsets.UTF_8));
            obs.onCompleted();
          }
        });
  }

  /** Records each call's {@code traceparent}. */
  private static final class TraceparentRecorder implements io.grpc.ServerInterceptor {
    private static final Metadata.Key<String> TRACEPARENT =
        Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private final GrpcBackend backend;

    TraceparentRecorder(GrpcBackend backend) {
      this.backend = backend;
    }

    @Override
    public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
        io.grpc.ServerCall<Q, R> call, Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
      backend.lastTraceparent = headers.get(TRACEPARENT);
      return next.startCall(call, headers);
    }
  }
}
