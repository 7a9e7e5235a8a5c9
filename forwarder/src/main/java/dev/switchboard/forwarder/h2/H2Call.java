package dev.switchboard.forwarder.h2;

import dev.switchboard.forwarder.Endpoint;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One stream (one gRPC call) relayed between the client's stream channel and a stream on a pooled
 * endpoint connection: headers, data and trailers pass unchanged both ways (frames are re-made,
 * since a frame belongs to its stream, but their headers and bytes are the same objects), and a
 * RST_STREAM on either side resets the other with the same error code.
 *
 * <p>Back-pressure, per direction: the source stream channel has AUTO_READ off (it then delivers
 * one frame per read); each frame read is written to the other side, and the source is read again
 * at once while that side's stream channel is writable, else when it is again. A stream channel
 * turns unwritable once its writes not yet done (not yet sent by the codec's flow controller, i.e.
 * beyond the receiver's window, or not yet flushed) pass its high-water mark (64 KiB), and reading
 * is what returns window to the sender: so a slow reader stalls its sender through the windows, and
 * the agent holds at most a window and a high-water mark per stream. (Waiting for each write to
 * complete instead cost a flush and a loop turn per frame: three for a unary response.) Writes are
 * flushed once per connection per loop turn ({@link H2Pool#flushSoon}).
 *
 * <p>Failures before any byte of the call reached an endpoint (none ready, every connect refused,
 * the stream could not be opened) are answered here: a gRPC request gets a trailers-only response
 * {@code grpc-status: 14} (UNAVAILABLE), anything else a 503/502; a stream the endpoint refused
 * unprocessed (REFUSED_STREAM, or above the last stream id of its GOAWAY) is reset REFUSED_STREAM,
 * which gRPC clients retry transparently. Nothing is replayed by us once it was sent.
 *
 * <p>Confined to the client connection's event loop (both stream channels live there).
 */
final class H2Call {

  private final H2Connection owner;
  private final Http2StreamChannel client;
  private final ArrayDeque<Http2StreamFrame> pending = new ArrayDeque<>(4);

  private Http2Headers request;
  private Http2StreamChannel endpoint;
  private H2CallObserver.Call observed = H2CallObserver.Call.NOOP;
  private boolean observing;

  private boolean requestEnded;
  private boolean requestStarted;
  private boolean responseHeadersSeen;
  private boolean responseStarted;
  private boolean responseEnded;

  /** The endpoint's GOAWAY said it never processed this stream. */
  private boolean refusedByGoAway;

  private boolean over;
  private ChannelFuture lastToClient;

  /**
   * Only failures: a successful write needs nothing, since reading goes on while the other side is
   * writable. One per call, not per write.
   */
  private final ChannelFutureListener endpointWritten =
      f -> {
        if (!f.isSuccess()) {
          endpointFailed("writing to the endpoint failed: " + f.cause());
        }
      };

  private final ChannelFutureListener clientWritten =
      f -> {
        if (!f.isSuccess()) {
          clientGone("writing to the client failed: " + f.cause());
        }
      };

  private final H2CallStream opening;

  H2Call(H2Connection owner, Http2StreamChannel client) {
    this.owner = owner;
    this.client = client;
    this.opening = new H2CallStream(owner, this);
  }

  ChannelHandler clientSide() {
    return new H2StreamSides.ClientSide(this);
  }

  // ---- endpoint and stream (H2CallStream gets them) ----

  /** The endpoint for this call (null: none is ready). On the client's loop. */
  void picked(Endpoint picked) {
    opening.picked(picked);
  }

  boolean over() {
    return over;
  }

  /** The call's stream to {@code picked} is open: what the client sent so far goes. */
  void streamOpened(Http2StreamChannel ch, Endpoint picked) {
    endpoint = ch;
    observing = true;
    observed = owner.observe(request, picked); // may set traceparent: before the write
    sendPending();
    endpoint.read(); // the response's headers
  }

  // ---- client → endpoint ----

  private void fromClient(Http2StreamFrame frame) {
    if (frame instanceof Http2HeadersFrame h) {
      requestEnded |= h.isEndStream();
      if (request == null) {
        request = h.headers();
        pending.add(h);
        owner.pick(this);
        return;
      }
    } else if (frame instanceof Http2DataFrame d) {
      requestEnded |= d.isEndStream();
    }
    pending.add(frame); // sent at the end of this read (channelReadComplete), or once connected
  }

  /**
   * Writes what the client sent so far (flushed at the end of the loop's turn) and reads the client
   * again while the endpoint's stream stays writable, else once it is again.
   */
  private void sendPending() {
    ChannelFuture last = null;
    for (Http2StreamFrame f; (f = pending.poll()) != null; ) {
      requestStarted = true;
      last = endpoint.write(H2Responses.copy(f));
    }
    if (last == null) {
      if (!over) {
        client.read(); // this read brought nothing to forward
      }
      return;
    }
    owner.pool().flushSoon(endpoint.parent());
    last.addListener(endpointWritten);
    // After the request's end too: only a RST_STREAM can come then, and it must be seen.
    readClientIfWritable();
  }

  private void readClientIfWritable() {
    if (over) {
      return;
    }
    if (endpoint.isWritable()) {
      client.read();
    } // else once it is (endpointWritable)
  }

  // ---- endpoint → client ----

  private void fromEndpoint(Http2StreamFrame frame) {
    if (frame instanceof Http2HeadersFrame h) {
      boolean end = h.isEndStream();
      if (!responseHeadersSeen) {
        responseHeadersSeen = true;
        owner.safely(() -> observed.onResponse(h.headers()));
        if (end) {
          owner.safely(() -> observed.onTrailers(h.headers()));
        }
      } else {
        owner.safely(() -> observed.onTrailers(h.headers()));
      }
      responseEnded |= end;
    } else if (frame instanceof Http2DataFrame d) {
      responseEnded |= d.isEndStream();
    }
    responseStarted = true;
    lastToClient = client.write(H2Responses.copy(frame));
  }

  void endpointReadComplete() {
    ChannelFuture last = lastToClient;
    lastToClient = null;
    if (last == null) {
      if (!responseEnded && !over && endpoint != null) {
        endpoint.read(); // this read brought nothing to forward
      }
      return;
    }
    owner.pool().flushSoon(client.parent());
    if (responseEnded) {
      last.addListener(
          f -> {
            if (!f.isSuccess()) {
              clientGone("writing to the client failed: " + f.cause());
            } else {
              maybeComplete();
            }
          });
      return;
    }
    last.addListener(clientWritten);
    readEndpointIfWritable();
  }

  private void readEndpointIfWritable() {
    if (over || endpoint == null) {
      return;
    }
    if (client.isWritable()) {
      endpoint.read();
    } // else once it is (clientWritable)
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
    owner.callDone(this);
    if (!requestEnded) {
      if (client.isActive()) {
        client.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
      }
      drainClient();
      if (endpoint != null) {
        endpoint.close();
      }
    }
  }

  // ---- resets and losses ----

  private void clientReset(Http2Error code) {
    if (over) {
      return;
    }
    end("client reset the stream: " + code);
    if (endpoint != null && endpoint.isActive()) {
      endpoint.writeAndFlush(new DefaultHttp2ResetFrame(code));
    }
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

  /**
   * The endpoint's stream closed (its connection lost, or a write failed) before the response end.
   */
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

  void clientGone(String reason) {
    if (over) {
      return;
    }
    if (responseEnded) {
      maybeComplete();
      return;
    }
    end(reason);
    if (endpoint != null) {
      endpoint.close(); // an open stream is reset (CANCEL) by its channel's close
    }
  }

  /** The client connection ended: whatever is left of the call goes. */
  void abandon(String reason) {
    clientGone(reason);
  }

  void resetClient(Http2Error code, String reason) {
    end(reason);
    if (client.isActive()) {
      client.writeAndFlush(new DefaultHttp2ResetFrame(code));
    }
    if (endpoint != null) {
      endpoint.close();
    }
  }

  /**
   * Answers the client ourselves, nothing of an endpoint's having reached it: gRPC gets a
   * trailers-only UNAVAILABLE (what Envoy answers), other requests {@code status}.
   */
  void refuse(int status, String reason, boolean closeEndpoint) {
    end(reason);
    if (client.isActive()) {
      client.write(
          new DefaultHttp2HeadersFrame(H2Responses.unavailable(request, status, reason), true));
      if (!requestEnded) {
        client.write(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR)); // stop sending: answered
      }
      client.flush();
    }
    if (closeEndpoint && endpoint != null) {
      endpoint.close();
    }
  }

  private void end(String reason) {
    over = true;
    if (observing) {
      owner.safely(() -> observed.onFailed(reason));
    }
    drainClient();
    owner.callDone(this);
  }

  /**
   * Drops what the client sent and we hold, and reads the rest of its stream with AUTO_READ on:
   * what is still queued there (DATA holds the connection's buffers) is released as it comes
   * ({@link #over}), and the stream channel closes once its stream has (it waits for reads to
   * deliver what it queued). One {@code read()} would not do: with AUTO_READ off a stream channel
   * delivers one frame per read, and frames queued behind it stayed unreleased (the leak detector
   * caught it under load).
   */
  private void drainClient() {
    for (Http2StreamFrame f; (f = pending.poll()) != null; ) {
      ReferenceCountUtil.release(f);
    }
    if (client.isActive()) {
      client.config().setAutoRead(true); // reads at once, and after every delivery
    }
  }

  // ---- events from the two stream channels (H2StreamSides) ----

  /** A frame read from the client's stream. */
  void clientFrame(Object msg) {
    if (msg instanceof Http2ResetFrame r) {
      clientReset(Http2Error.valueOf(r.errorCode()));
    } else if (over
        || requestEnded
        || !(msg instanceof Http2HeadersFrame || msg instanceof Http2DataFrame)) {
      ReferenceCountUtil.release(msg);
    } else {
      fromClient((Http2StreamFrame) msg);
    }
  }

  /** The client stream's read is over: what it brought goes to the endpoint. */
  void clientReadComplete() {
    if (endpoint != null && !over) {
      sendPending();
    }
  }

  /** A frame read from the endpoint's stream. */
  void endpointFrame(Object msg) {
    if (msg instanceof Http2ResetFrame r) {
      endpointReset(Http2Error.valueOf(r.errorCode()));
    } else if (over
        || responseEnded
        || !(msg instanceof Http2HeadersFrame || msg instanceof Http2DataFrame)) {
      ReferenceCountUtil.release(msg);
    } else {
      fromEndpoint((Http2StreamFrame) msg);
    }
  }

  /** The endpoint's GOAWAY came with a last stream id below this stream's: never processed. */
  void endpointGoAway() {
    refusedByGoAway = true;
  }

  /**
   * The endpoint's stream may take more: the client's is read (if it was not waiting for that, one
   * read more than needed delivers at most one frame more, which is written the same way).
   */
  void endpointWritable() {
    readClientIfWritable();
  }

  /** The client's stream may take more: the endpoint's is read (as above). */
  void clientWritable() {
    if (!responseEnded) {
      readEndpointIfWritable();
    }
  }
}
