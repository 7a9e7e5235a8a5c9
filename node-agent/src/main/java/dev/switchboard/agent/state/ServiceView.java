package dev.switchboard.agent.state;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.Service;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Everything the proxier needs about one service: the service and its endpoints, either of which
 * may be absent (endpoints can arrive before or after their service). Compared by value, so a
 * change that ends where it started is recognised as a no-op.
 *
 * <p>Held as the messages' deterministic serialization, parsed on each use. {@link ClusterState}
 * keeps only those bytes: at 10,000 services the parsed messages (100,000 endpoints, each with its
 * own strings and lists) were ~25 MB of the agent's live heap against ~10 MB of bytes, and only a
 * service that changed is ever parsed again (docs/benchmarks.md, "Control plane at scale"). Not
 * memoized: a snapshot's sync holds a view of every service until it ends, and parsed views would
 * put those 25 MB back at the very moment the heap is fullest; each reader (the planner, DNS)
 * parses once instead.
 *
 * <p>Immutable.
 */
public final class ServiceView {

  public static final ServiceView ABSENT = new ServiceView(null, null, null, null);

  /** Null when the agent holds no such service. */
  private final byte[] serviceBytes;

  /** Null when the agent holds no endpoints for it. */
  private final byte[] endpointsBytes;

  /** Null unless given parsed (tests, callers that have the messages anyway). */
  private final Service service;

  private final Endpoints endpoints;

  /**
   * @param service null when the agent holds no such service
   * @param endpoints null when the agent holds no endpoints for it
   */
  public ServiceView(Service service, Endpoints endpoints) {
    this(
        service == null ? null : serialize(service),
        endpoints == null ? null : serialize(endpoints),
        service,
        endpoints);
  }

  private ServiceView(
      byte[] serviceBytes, byte[] endpointsBytes, Service service, Endpoints endpoints) {
    this.serviceBytes = serviceBytes;
    this.endpointsBytes = endpointsBytes;
    this.service = service;
    this.endpoints = endpoints;
  }

  /** A view of bytes from {@link #serialize}, which it keeps (the caller must not change them). */
  static ServiceView ofSerialized(byte[] serviceBytes, byte[] endpointsBytes) {
    return serviceBytes == null && endpointsBytes == null
        ? ABSENT
        : new ServiceView(serviceBytes, endpointsBytes, null, null);
  }

  /** The same bytes for equal messages (map entries sorted), so equal bytes mean no change. */
  static byte[] serialize(MessageLite message) {
    byte[] out = new byte[message.getSerializedSize()];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    stream.useDeterministicSerialization();
    try {
      message.writeTo(stream);
    } catch (IOException e) {
      throw new UncheckedIOException("serializing into an array of its exact size", e);
    }
    stream.checkNoSpaceLeft();
    return out;
  }

  /** The service (parsed anew: keep it rather than call again); null when there is none. */
  public Service service() {
    return service != null ? service : parse(serviceBytes, Service.parser());
  }

  /** The endpoints (parsed anew: keep them rather than call again); null when there are none. */
  public Endpoints endpoints() {
    return endpoints != null ? endpoints : parse(endpointsBytes, Endpoints.parser());
  }

  /** Null for null bytes. */
  private static <T> T parse(byte[] bytes, Parser<T> parser) {
    if (bytes == null) {
      return null;
    }
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("bytes this agent serialized", e);
    }
  }

  /** True when the agent holds the service (without parsing it). */
  public boolean hasService() {
    return serviceBytes != null;
  }

  /** True when the agent holds endpoints for the service (without parsing them). */
  public boolean hasEndpoints() {
    return endpointsBytes != null;
  }

  public boolean isAbsent() {
    return serviceBytes == null && endpointsBytes == null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceView v
        && Arrays.equals(serviceBytes, v.serviceBytes)
        && Arrays.equals(endpointsBytes, v.endpointsBytes);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(serviceBytes) + Arrays.hashCode(endpointsBytes);
  }

  @Override
  public String toString() {
    return "ServiceView[service=" + service() + ", endpoints=" + endpoints() + "]";
  }
}
