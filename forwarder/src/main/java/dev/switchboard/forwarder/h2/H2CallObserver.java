package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * Hook for each stream (each gRPC call) of an HTTP/2 listener: tracing attaches here without the
 * forwarder knowing it. Called on the connection's event loop: quick, non-blocking. Exceptions are
 * logged and ignored.
 */
@FunctionalInterface
public interface H2CallObserver {

  H2CallObserver NOOP = (connection, endpoint, request) -> Call.NOOP;

  /**
   * A stream's request headers arrived and are about to be sent to {@code endpoint}; they may be
   * changed (e.g. {@code traceparent} set). Returns what to tell of the rest of the call.
   */
  Call onRequest(ConnectionInfo connection, Endpoint endpoint, Http2Headers request);

  /** The rest of one call. Exactly one of {@link #onComplete} / {@link #onFailed} is called. */
  interface Call {
    Call NOOP = new Call() {};

    /** The response headers arrived (a trailers-only response is reported here and as trailers). */
    default void onResponse(Http2Headers response) {}

    /** The response's trailers arrived ({@code grpc-status} is there for gRPC). */
    default void onTrailers(Http2Headers trailers) {}

    /** Both directions ended cleanly. */
    default void onComplete() {}

    /** The stream was reset or its connection lost before both directions ended. */
    default void onFailed(String reason) {}
  }
}
