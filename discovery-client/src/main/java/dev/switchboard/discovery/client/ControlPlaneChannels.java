package dev.switchboard.discovery.client;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * The one way a node agent or cloud-lb opens a channel to the control plane, for the Discovery
 * stream and for Admin calls alike, so both components behave the same when it vanishes.
 *
 * <p>Keepalive: a ping every 30 s (the control plane permits one every 5 s), dead after 10 s
 * without an answer, also while no call is open: a control plane that disappeared without a FIN (a
 * node lost, a partition) is noticed within 40 s and the stream reconnects elsewhere, instead of
 * waiting for TCP's retransmission timeout. Inbound messages up to 64 MiB: the control plane splits
 * batches at about 1 MiB, the margin is for one very large object.
 */
public final class ControlPlaneChannels {
  static final int MAX_INBOUND_MESSAGE_BYTES = 64 << 20;

  private ControlPlaneChannels() {}

  /** A new channel to {@code target} ({@code host:port}); the caller shuts it down. */
  public static ManagedChannel create(String target, ChannelCredentials credentials) {
    return NettyChannelBuilder.forTarget(target, credentials)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .build();
  }
}
