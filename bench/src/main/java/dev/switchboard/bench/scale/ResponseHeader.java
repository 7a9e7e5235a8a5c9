package dev.switchboard.bench.scale;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.switchboard.v1.DiscoveryResponse;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * What a simulated agent needs from a {@link DiscoveryResponse}: version, nonce, flags, how many
 * resources it carries and its size on the wire, without building the resources.
 *
 * <p>Why: a thousand agents fully parsing every snapshot in one benchmark process would measure the
 * benchmark's protobuf parsing on a 2-core machine, not the control plane. Every byte is still
 * received and walked; only the objects are not built. A few "full" agents parse everything to
 * check the content.
 */
record ResponseHeader(
    long version,
    String nonce,
    boolean snapshot,
    boolean more,
    int resources,
    int removed,
    int bytes) {

  /** A gRPC marshaller that decodes only the header fields. */
  static final MethodDescriptor.Marshaller<ResponseHeader> MARSHALLER =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(ResponseHeader value) {
          throw new UnsupportedOperationException("responses are only received");
        }

        @Override
        public ResponseHeader parse(InputStream stream) {
          try {
            return decode(stream.readAllBytes());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static ResponseHeader decode(byte[] bytes) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    long version = 0;
    String nonce = "";
    boolean snapshot = false;
    boolean more = false;
    int resources = 0;
    int removed = 0;
    while (true) {
      int tag = in.readTag();
      if (tag == 0) {
        break;
      }
      switch (WireFormat.getTagFieldNumber(tag)) {
        case DiscoveryResponse.VERSION_FIELD_NUMBER -> version = in.readInt64();
        case DiscoveryResponse.NONCE_FIELD_NUMBER -> nonce = in.readString();
        case DiscoveryResponse.SNAPSHOT_FIELD_NUMBER -> snapshot = in.readBool();
        case DiscoveryResponse.MORE_FIELD_NUMBER -> more = in.readBool();
        case DiscoveryResponse.RESOURCES_FIELD_NUMBER -> {
          resources++;
          in.skipField(tag);
        }
        case DiscoveryResponse.REMOVED_FIELD_NUMBER -> {
          removed++;
          in.skipField(tag);
        }
        default -> in.skipField(tag);
      }
    }
    return new ResponseHeader(version, nonce, snapshot, more, resources, removed, bytes.length);
  }

  static ResponseHeader of(DiscoveryResponse response) {
    return new ResponseHeader(
        response.getVersion(),
        response.getNonce(),
        response.getSnapshot(),
        response.getMore(),
        response.getResourcesCount(),
        response.getRemovedCount(),
        response.getSerializedSize());
  }
}
