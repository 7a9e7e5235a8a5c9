package dev.switchboard.forwarder.h2;

import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;

/** Frames the relay makes: the answers of its own, and copies for the other stream. */
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

  /**
   * A frame for the other stream (a frame belongs to its stream): the same headers or bytes,
   * ownership of the buffer moving with it.
   */
  static Http2StreamFrame copy(Http2StreamFrame f) {
    if (f instanceof Http2DataFrame d) {
      return new DefaultHttp2DataFrame(d.content(), d.isEndStream());
    }
    Http2HeadersFrame h = (Http2HeadersFrame) f;
    return new DefaultHttp2HeadersFrame(h.headers(), h.isEndStream());
  }
}
