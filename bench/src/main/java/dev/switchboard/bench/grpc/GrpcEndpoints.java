package dev.switchboard.bench.grpc;

import dev.switchboard.testing.GrpcBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's endpoints, a process of their own: one {@link GrpcBackend} per address given, all
 * on one port, named b1, b2, ... (the name is each unary answer, so the load generator sees the
 * spread). Runs until killed.
 *
 * <p>Usage: {@code GrpcEndpoints PORT IP...}
 */
public final class GrpcEndpoints {
  private GrpcEndpoints() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    List<GrpcBackend> started = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String ip = args[i];
      started.add(
          GrpcBackend.start(
              ip,
              "b" + i,
              b -> b.directExecutor(), // answered on the event loop: the endpoints stay cheap
              port));
    }
    System.out.println("endpoints ready: " + started.size());
    Thread.currentThread().join(); // until the benchmark kills this process
  }
}
