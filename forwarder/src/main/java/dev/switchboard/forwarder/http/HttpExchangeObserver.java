package dev.switchboard.forwarder.http;

import dev.switchboard.forwarder.ConnectionInfo;
import dev.switchboard.forwarder.Endpoint;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Hook for each HTTP exchange of an HTTP listener: tracing attaches here without the forwarder
 * knowing it. Called on the connection's event loop: quick, non-blocking. Exceptions are logged and
 * ignored.
 */
@FunctionalInterface
public interface HttpExchangeObserver {

  HttpExchangeObserver NOOP = (connection, endpoint, request) -> Exchange.NOOP;

  /**
   * A request head arrived and is about to be sent to {@code endpoint}; its headers may be changed
   * (e.g. {@code traceparent} set). Returns what to tell of the rest of the exchange.
   */
  Exchange onRequest(ConnectionInfo connection, Endpoint endpoint, HttpRequest request);

  /** The rest of one exchange. Exactly one of {@link #onComplete} / {@link #onFailed} is called. */
  interface Exchange {
    Exchange NOOP = new Exchange() {};

    /** The response head arrived (1xx informational heads are not reported). */
    default void onResponse(HttpResponse response) {}

    /** The response was fully sent to the client. */
    default void onComplete() {}

    /** The connection ended before the response was complete. */
    default void onFailed(String reason) {}
  }
}
