package dev.switchboard.controlplane.discovery;

import dev.switchboard.v1.DiscoveryGrpc;
import dev.switchboard.v1.DiscoveryResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A Discovery response as it goes on the wire. Either one subscriber's own message (serialized by
 * gRPC as usual), or bytes serialized once and shared by every subscriber that gets the same
 * change, followed by what is that subscriber's own (its push span's trace context, usually
 * nothing). Protobuf merges concatenated encodings of a message, and the shared part never holds
 * the fields of the tail, so the subscriber parses exactly the message it would have got.
 *
 * <p>Sharing is what keeps a change's cost on the control plane from being a full serialization per
 * subscriber (1,000 agents: 1,000 serializations of the same ~600 bytes).
 */
final class EncodedResponse {
  private static final MethodDescriptor.Marshaller<DiscoveryResponse> PROTO =
      DiscoveryGrpc.getStreamMethod().getResponseMarshaller();
  private static final byte[] NONE = new byte[0];

  /** Serializes the response types this class wraps; for the Discovery method's definition. */
  static final MethodDescriptor.Marshaller<EncodedResponse> MARSHALLER = new Marshaller();

  private final DiscoveryResponse message;
  private final byte[] shared;
  private final byte[] own;

  private EncodedResponse(DiscoveryResponse message, byte[] shared, byte[] own) {
    this.message = message;
    this.shared = shared;
    this.own = own;
  }

  /** One subscriber's message, serialized by gRPC when it is written. */
  static EncodedResponse of(DiscoveryResponse message) {
    return new EncodedResponse(message, null, null);
  }

  /** {@code shared} (never modified) and then {@code own}, which may be null. */
  static EncodedResponse shared(byte[] shared, DiscoveryResponse own) {
    return new EncodedResponse(
        null, shared, own == null || own.getSerializedSize() == 0 ? NONE : own.toByteArray());
  }

  int serializedSize() {
    return message != null ? message.getSerializedSize() : shared.length + own.length;
  }

  /** The bytes shared with other subscribers, or null for a subscriber's own message. */
  byte[] sharedBytes() {
    return shared;
  }

  /** The message, parsed back when it was sent as bytes: for tests and logs, not the hot path. */
  DiscoveryResponse message() {
    if (message != null) {
      return message;
    }
    try {
      return DiscoveryResponse.parseFrom(new Stream(shared, own));
    } catch (IOException e) {
      throw new IllegalStateException("an encoded response does not parse", e);
    }
  }

  private static final class Marshaller implements MethodDescriptor.Marshaller<EncodedResponse> {
    @Override
    public InputStream stream(EncodedResponse value) {
      return value.message != null
          ? PROTO.stream(value.message)
          : new Stream(value.shared, value.own);
    }

    @Override
    public EncodedResponse parse(InputStream stream) {
      return of(PROTO.parse(stream));
    }
  }

  /** The two parts in a row; gRPC drains it straight into its buffer (one copy, no parse). */
  private static final class Stream extends InputStream implements Drainable, KnownLength {
    private final ByteArrayInputStream first;
    private final ByteArrayInputStream second;

    Stream(byte[] first, byte[] second) {
      this.first = new ByteArrayInputStream(first);
      this.second = new ByteArrayInputStream(second);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = first.available() + second.available();
      first.transferTo(target);
      second.transferTo(target);
      return n;
    }

    @Override
    public int available() {
      return first.available() + second.available();
    }

    @Override
    public int read() {
      int b = first.read();
      return b >= 0 ? b : second.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int n = first.read(b, off, len);
      if (n > 0) {
        return n;
      }
      return second.read(b, off, len);
    }
  }
}
