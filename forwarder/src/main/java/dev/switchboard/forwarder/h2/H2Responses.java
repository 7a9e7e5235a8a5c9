package dev.switchboard.forwarder.h2;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;

/** The answers the relay makes of its own. */
final class H2Responses {
  private static final String GRPC_UNAVAILABLE = "14";

  private H2Responses() {}

  /**
   * A trailers-only gRPC response with {@code grpc-status: 14} (UNAVAILABLE: the client may try
   * again) when {@code request} is a gRPC call, else an empty response with {@code status}.
   */
  static Http2Headers unavailable(Http2Headers request, int status, String reason) {
    CharSequence type = request == null ? null : request.get("content-type");
    if (type != null && type.toString().startsWith("application/grpc")) {
      return new DefaultHttp2Headers()
          .status("200")
          .set("content-type", type)
          .set("grpc-status", GRPC_UNAVAILABLE)
          .set("grpc-message", "switchboard: " + reason);
    }
    return new DefaultHttp2Headers().status(Integer.toString(status)).setInt("content-length", 0);
  }
}
