package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * One stream (one gRPC call) relayed between the client's stream and a stream on a pooled endpoint
 * connection, both frame-level streams of their connections' codecs ({@link H2Side}): headers, data
 * and trailers pass unchanged both ways (the same frame objects, re-addressed to the other stream),
 * and a RST_STREAM on either side resets the other with the same error code.
 *
 * <p>Back-pressure, per direction: the bytes of a DATA frame go back to its sender's window (the
 * stream's and the connection's) only once their write to the other side has completed, i.e. left
 * for the socket after the receiver's window allowed it. So a slow reader stalls its sender through
 * the windows, and the agent holds at most a stream window per stream and direction (and a
 * connection window per connection). Writes are flushed once per connection per loop turn ({@link
 * H2Pool#flushSoon}).
 *
 * <p>Failures before any byte of the call reached an endpoint (none ready, every connect refused,
 * the connection gone before the stream was opened) are answered here: a gRPC request gets a
 * trailers-only response {@code grpc-status: 14} (UNAVAILABLE), anything else a 503/502; a stream
 * the endpoint refused unprocessed (REFUSED_STREAM, or above the last stream id of its GOAWAY) is
 * reset REFUSED_STREAM, which gRPC clients retry transparently. Nothing is replayed by us once it
 * was sent.
 *
 * <p>Confined to the client connection's event loop (both connections live there).
 */
final class H2Call implements Consumer<Endpoint>, ChannelFutureListener {

  private final H2Connection owner;
  private final H2Side clientSide;
  private final Http2FrameStream client;
  private final H2CallStream opening;

  /** The request's headers, until they open the endpoint's stream. */
  private Http2HeadersFrame requestFrame;

  /** What else the client sent before the endpoint's stream was open (null: nothing). */
  private ArrayDeque<Http2StreamFrame> pending;

  private Http2Headers request;
  private H2Upstream upstream;
  private Http2FrameStream endpoint;
  private H2CallObserver.Call observed = H2CallObserver.Call.NOOP;
  private boolean observing;

  private boolean requestEnded;
  private boolean responseHeadersSeen;
  private boolean responseStarted;
  private boolean responseEnded;

  /** The endpoint's stream place was given back to its connection. */
  private boolean endpointReleased;

  /** The endpoint said it never processed this stream (GOAWAY, or refused while buffered). */
  private boolean refusedByGoAway;

  private boolean over;

  H2Call(H2Connection owner, H2Side clientSide, Http2FrameStream client) {
    this.owner = owner;
    this.clientSide = clientSide;
    this.client = client;
    this.opening = new H2CallStream(owner, this);
  }

  // ---- endpoint and stream (H2CallStream gets them) ----

  /** The endpoint for this call (null: none is ready). On the client's loop. */
  @Override
  public void accept(Endpoint picked) {
    opening.picked(picked);
  }

  boolean over() {
    return over;
  }

  /**
   * A place for the call's stream on {@code u}, a connection to {@code picked}: the stream opens
   * with the request's headers, and what else the client sent so far follows.
   */
  void streamOpened(H2Upstream u, Endpoint picked) {
    upstream = u;
    observing = true;
    observed = owner.observe(request, picked); // may set traceparent: before the write
    endpoint = u.newStream();
    Http2HeadersFrame headers = requestFrame;
    requestFrame = null;
    u.open(this, headers, endpoint).addListener(this); // failures: the stream did not open
    if (pending != null) {
      for (Http2StreamFrame f; (f = pending.poll()) != null; ) {
        toEndpoint(f);
      }
    }
  }

  /** The request headers' write: a failure means the stream did not open (or died with it). */
  @Override
  public void operationComplete(ChannelFuture f) {
    if (!f.isSuccess()) {
      refusedByGoAway |= upstream.refused(endpoint, f.cause());
      if (!endpointReleased) {
        upstream.unbind(endpoint); // a stream still waiting for a slot has no close to come
      }
      releaseEndpoint();
      endpointFailed("opening the endpoint stream failed: " + f.cause());
    }
  }

  private void releaseEndpoint() {
    if (!endpointReleased) {
      endpointReleased = true;
      upstream.release();
    }
  }

  // ---- client → endpoint ----

  /** A frame of the client's stream. */
  void clientFrame(Http2StreamFrame frame) {
    if (frame instanceof Http2ResetFrame r) {
      clientReset(Http2Error.valueOf(r.errorCode()));
      return;
    }
    if (over
        || requestEnded
        || !(frame instanceof Http2HeadersFrame || frame instanceof Http2DataFrame)) {
      clientSide.drop(frame); // also a stream's WINDOW_UPDATE: the codec acted on it
      return;
    }
    boolean end =
        frame instanceof Http2HeadersFrame h
            ? h.isEndStream()
            : ((Http2DataFrame) frame).isEndStream();
    requestEnded |= end;
    if (request == null) {
      requestFrame = (Http2HeadersFrame) frame;
      request = requestFrame.headers();
      owner.pick(this); // often answered at once: the stream is open then
    } else if (endpoint == null) {
      if (pending == null) {
        pending = new ArrayDeque<>(4);
      }
      pending.add(frame); // until the stream opens (bounded by the client's windows)
    } else {
      toEndpoint(frame);
    }
  }

  private void toEndpoint(Http2StreamFrame f) {
    if (f instanceof Http2DataFrame d) {
      relay(d, upstream, endpoint, clientSide, client);
    } else {
      upstream.write(f.stream(endpoint)); // trailers
    }
  }

  /**
   * Writes {@code d} on {@code toStream}; its bytes go back to the sender's window once written.
   * Returns the write's promise.
   */
  private static ChannelPromise relay(
      Http2DataFrame d,
      H2Side to,
      Http2FrameStream toStream,
      H2Side from,
      Http2FrameStream fromStream) {
    int bytes = d.initialFlowControlledBytes();
    ChannelPromise p = to.write(d.stream(toStream));
    if (bytes > 0) {
      // On failure too: the stream is reset then, and its window must not stay taken meanwhile.
      p.addListener(f -> from.consumed(fromStream, bytes));
    }
    return p;
  }

  // ---- endpoint → client ----

  /** A frame of the endpoint's stream. */
  void endpointFrame(Http2StreamFrame frame) {
    if (frame instanceof Http2ResetFrame r) {
      endpointReset(Http2Error.valueOf(r.errorCode()));
      return;
    }
    if (over
        || responseEnded
        || !(frame instanceof Http2HeadersFrame || frame instanceof Http2DataFrame)) {
      upstream.drop(frame);
      return;
    }
    responseStarted = true;
    ChannelPromise written;
    if (frame instanceof Http2HeadersFrame h) {
      boolean end = h.isEndStream();
      if (observed != H2CallObserver.Call.NOOP) {
        observeResponse(h.headers(), end);
      }
      responseEnded = end;
      written = clientSide.write(h.stream(client));
    } else {
      Http2DataFrame d = (Http2DataFrame) frame;
      responseEnded = d.isEndStream();
      written = relay(d, clientSide, client, upstream, endpoint);
    }
    if (responseEnded && !requestEnded) {
      // The endpoint answered before the request's end: cut the rest once the answer is out (a
      // reset now could overtake it). Else completion comes with the client stream's close.
      written.addListener(f -> maybeComplete());
    }
  }

  private void observeResponse(Http2Headers headers, boolean end) {
    if (!responseHeadersSeen) {
      responseHeadersSeen = true;
      owner.safely(() -> observed.onResponse(headers));
      if (end) {
        owner.safely(() -> observed.onTrailers(headers));
      }
    } else {
      owner.safely(() -> observed.onTrailers(headers));
    }
  }

  /**
   * The response's end is written. The call is complete; a request still being sent is cut (the
   * endpoint answered without waiting for it): RST_STREAM NO_ERROR to the client (RFC 9113 8.1),
   * CANCEL to the endpoint.
   */
  private void maybeComplete() {
    if (over || !responseEnded) {
      return;
    }
    over = true;
    owner.safely(observed::onComplete);
    owner.callDone();
    if (!requestEnded) {
      clientSide.reset(client, Http2Error.NO_ERROR);
      dropPending();
      resetEndpoint(Http2Error.CANCEL);
    }
  }

  // ---- resets and losses ----

  private void clientReset(Http2Error code) {
    if (over) {
      return;
    }
    end("client reset the stream: " + code);
    resetEndpoint(code);
  }

  private void endpointReset(Http2Error code) {
    if (over) {
      return;
    }
    if (!responseStarted && (code == Http2Error.REFUSED_STREAM || refusedByGoAway)) {
      resetClient(Http2Error.REFUSED_STREAM, "the endpoint refused the stream");
    } else {
      resetClient(code, "the endpoint reset the stream: " + code);
    }
  }

  /** The endpoint's stream closed (reset, ended, or its connection lost). */
  void endpointClosed() {
    releaseEndpoint();
    refusedByGoAway |= upstream.refused(endpoint, null);
    endpointFailed("endpoint stream closed");
  }

  /** The endpoint's stream failed or closed; before the response's end that fails the call. */
  void endpointFailed(String reason) {
    if (over || responseEnded) {
      return;
    }
    if (!responseStarted && refusedByGoAway) {
      resetClient(Http2Error.REFUSED_STREAM, reason);
    } else if (!responseStarted) {
      refuse(502, reason, true);
    } else {
      resetClient(Http2Error.INTERNAL_ERROR, reason);
    }
  }

  /** The client's stream closed: after the response's end that completes the call. */
  void clientClosed() {
    clientGone("client stream closed");
  }

  /** The client's stream or whole connection is gone: whatever is left of the call goes. */
  void clientGone(String reason) {
    if (over) {
      return;
    }
    if (responseEnded) {
      maybeComplete();
      return;
    }
    end(reason);
    resetEndpoint(Http2Error.CANCEL);
  }

  void resetClient(Http2Error code, String reason) {
    end(reason);
    clientSide.reset(client, code);
    resetEndpoint(Http2Error.CANCEL);
  }

  /**
   * Answers the client ourselves, nothing of an endpoint's having reached it: gRPC gets a
   * trailers-only UNAVAILABLE (what Envoy answers), other requests {@code status}.
   */
  void refuse(int status, String reason, boolean closeEndpoint) {
    end(reason);
    if (clientSide.isActive()) {
      clientSide.write(
          new DefaultHttp2HeadersFrame(H2Responses.unavailable(request, status, reason), true)
              .stream(client));
      if (!requestEnded) {
        clientSide.reset(client, Http2Error.NO_ERROR); // stop sending: answered
      }
    }
    if (closeEndpoint) {
      resetEndpoint(Http2Error.CANCEL);
    }
  }

  private void resetEndpoint(Http2Error code) {
    if (endpoint != null && !endpointReleased) {
      upstream.reset(endpoint, code);
    }
  }

  private void end(String reason) {
    if (over) {
      return;
    }
    over = true;
    if (observing) {
      owner.safely(() -> observed.onFailed(reason));
    }
    dropPending();
    owner.callDone();
  }

  /** Drops what the client sent and we hold (its bytes back to the client's window). */
  private void dropPending() {
    requestFrame = null;
    if (pending != null) {
      for (Http2StreamFrame f; (f = pending.poll()) != null; ) {
        clientSide.drop(f);
      }
    }
  }
}
