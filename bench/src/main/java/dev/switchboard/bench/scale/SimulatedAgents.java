package dev.switchboard.bench.scale;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * N simulated agents in this process, their streams spread over a few HTTP/2 connections (as many
 * agents behind a few proxies would look to the control plane). Callbacks run on the channels'
 * event loops: applying a light response is a few field reads.
 */
final class SimulatedAgents implements AutoCloseable {
  private final EventLoopGroup loops =
      new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final int channelCount;
  private final List<SimAgent> agents = new ArrayList<>();

  /**
   * @param fullAgents how many of the agents parse and hold everything (content checks)
   * @param firstIndex agents are named {@code node-<firstIndex>} onwards
   */
  SimulatedAgents(String target, int count, int fullAgents, int channelCount, int firstIndex) {
    this.channelCount = channelCount;
    openChannels(target);
    for (int i = 0; i < count; i++) {
      int n = firstIndex + i;
      agents.add(
          new SimAgent("node-" + n, "127.1." + (n >> 8 & 255) + "." + (n & 255), i < fullAgents));
    }
  }

  private void openChannels(String target) {
    for (int c = 0; c < channelCount; c++) {
      channels.add(
          NettyChannelBuilder.forTarget(target)
              .usePlaintext()
              .eventLoopGroup(loops)
              .channelType(NioSocketChannel.class)
              .directExecutor()
              .maxInboundMessageSize(64 << 20)
              .build());
    }
  }

  /** Reconnects (resuming) every agent whose stream ended; returns how many, with reasons. */
  java.util.Map<String, Integer> resumeEnded() {
    java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
    for (int i = 0; i < agents.size(); i++) {
      SimAgent a = agents.get(i);
      if (a.ended()) {
        String why = a.error() == null ? "ended" : String.valueOf(a.error().getMessage());
        reasons.merge(why.length() > 120 ? why.substring(0, 120) : why, 1, Integer::sum);
        a.connect(channels.get(i % channels.size()), a.version());
      }
    }
    return reasons;
  }

  List<SimAgent> agents() {
    return agents;
  }

  /** Opens every stream (hello with version 0: each gets a snapshot). */
  void connectAll() {
    for (int i = 0; i < agents.size(); i++) {
      agents.get(i).connect(channels.get(i % channels.size()), 0);
    }
  }

  /**
   * After the control plane went away: new connections, and every agent resumes from the version it
   * holds, as the real discovery client does.
   */
  void resumeAll(String target) {
    channels.forEach(ManagedChannel::shutdownNow);
    channels.clear();
    openChannels(target);
    for (int i = 0; i < agents.size(); i++) {
      SimAgent a = agents.get(i);
      a.connect(channels.get(i % channels.size()), a.version());
    }
  }

  /** Waits until every agent holds {@code version} or later; false on timeout or a dead stream. */
  boolean awaitVersion(long version, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() - deadline < 0) {
      if (minVersion() >= version) {
        return true;
      }
      if (firstError() != null) {
        return false;
      }
      Thread.sleep(1); // the benchmark's own poll: 1 ms resolution is far below what we measure
    }
    return false;
  }

  long minVersion() {
    long min = Long.MAX_VALUE;
    for (SimAgent a : agents) {
      min = Math.min(min, a.version());
    }
    return min;
  }

  long totalBytes() {
    long sum = 0;
    for (SimAgent a : agents) {
      sum += a.bytes();
    }
    return sum;
  }

  long totalMessages() {
    long sum = 0;
    for (SimAgent a : agents) {
      sum += a.messages();
    }
    return sum;
  }

  String firstError() {
    for (SimAgent a : agents) {
      if (a.error() != null) {
        return a.name + ": " + a.error();
      }
      if (a.ended()) {
        return a.name + ": stream ended";
      }
    }
    return null;
  }

  /**
   * Milliseconds from {@code startNanos} until each agent first held {@code version}; -1 for an
   * agent that never did (or whose history no longer covers it).
   */
  double[] latenciesMillis(long startNanos, long version) {
    double[] out = new double[agents.size()];
    for (int i = 0; i < agents.size(); i++) {
      long at = agents.get(i).reachedAt(version);
      out[i] = at < 0 ? -1 : Math.max(0, at - startNanos) / 1e6;
    }
    return out;
  }

  @Override
  public void close() {
    agents.forEach(SimAgent::close);
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
