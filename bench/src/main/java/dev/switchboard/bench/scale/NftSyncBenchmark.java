package dev.switchboard.bench.scale;

import dev.switchboard.agent.nft.Nft;
import dev.switchboard.agent.nft.NftProxier;
import dev.switchboard.agent.nft.NftSession;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.agent.proxier.ServicePlanner;
import dev.switchboard.agent.state.ServiceView;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What one endpoint change costs in nftables mode, from the agent holding the new endpoints to the
 * rule being live in the kernel: planning the service, rendering its share of the table, and the
 * batch's transaction returning (the kernel commits before nft answers). Real nft, in the network
 * namespace {@code bench/nftables sync} starts this JVM in (root, so batches are not capped by a
 * user namespace's socket buffer); nothing outside it is touched.
 *
 * <p>Per size: N services of 10 endpoints each (the first 2,768 are NodePorts, the rest ClusterIP
 * only, as NodePorts run out), one full sync, then {@code --changes} syncs that each move one
 * endpoint of a random service; p50/p99/max of those, the first sync's time, and the mean CPU (user
 * + system) of the {@code nft} processes per change.
 *
 * <p>Usage: {@code bench/nftables sync [--sizes 100,1000,10000] [--changes 50] [--writer
 * session|oneshot]} (oneshot: an {@code nft -f -} process per batch instead of the agent's {@link
 * NftSession}).
 */
public final class NftSyncBenchmark {
  private static final int ENDPOINTS_EACH = 10;
  private static final int NODE_PORTS = 2768;

  /** {@code --writer oneshot}: an {@code nft -f -} process per batch, as before the session. */
  private static boolean oneShot;

  private NftSyncBenchmark() {}

  public static void main(String[] args) throws Exception {
    int[] sizes =
        Arrays.stream(arg(args, "--sizes", "100,1000,10000").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int changes = Integer.parseInt(arg(args, "--changes", "50"));
    oneShot = arg(args, "--writer", "session").equals("oneshot");
    System.out.printf(
        "%nendpoint change to rule live, nftables mode, %d endpoints per service, %d changes per size, writer %s"
            + "%n%n| services | endpoints | first sync (whole table) | p50 | p99 | max | nft's share, p50 | nft CPU per change, mean |%n|---|---|---|---|---|---|---|---|%n",
        ENDPOINTS_EACH, changes, oneShot ? "nft -f per batch" : "nft -i session");
    for (int size : sizes) {
      run(size, changes);
    }
  }

  private static void run(int services, int changes) throws Exception {
    ServicePlanner planner = new ServicePlanner("node-1", InetAddress.getByName("10.0.0.1"));
    Map<ServiceName, ServicePlan> all = new LinkedHashMap<>();
    List<Service> specs = new ArrayList<>();
    for (int i = 0; i < services; i++) {
      Service svc = service(i);
      specs.add(svc);
      all.put(name(i), planner.plan(name(i), new ServiceView(svc, endpoints(i, 0))));
    }
    Nft system =
        oneShot
            ? Nft.system(Duration.ofSeconds(600))
            : NftSession.system(Duration.ofSeconds(60), Duration.ofSeconds(600));
    long[] nftNanos = {0};
    String[] lastBatch = {""};
    NftProxier proxier =
        new NftProxier(
            batch -> {
              long start = System.nanoTime();
              String error = system.apply(batch);
              nftNanos[0] += System.nanoTime() - start;
              lastBatch[0] = batch;
              return error;
            });
    long t0 = System.nanoTime();
    check(proxier.sync(all), "first sync");
    long firstMs = (System.nanoTime() - t0) / 1_000_000;
    Random random = new Random(services);
    double[] micros = new double[changes];
    double[] nftMicros = new double[changes];
    long childTicks = childCpuTicks();
    for (int c = 0; c < changes; c++) {
      int i = random.nextInt(services);
      nftNanos[0] = 0;
      t0 = System.nanoTime();
      ServicePlan plan = planner.plan(name(i), new ServiceView(specs.get(i), endpoints(i, c + 1)));
      check(proxier.sync(Map.of(name(i), plan)), "change " + c);
      micros[c] = (System.nanoTime() - t0) / 1000.0;
      nftMicros[c] = nftNanos[0] / 1000.0;
    }
    double cpuMsPerChange = (childCpuTicks() - childTicks) * 10.0 / changes;
    if (System.getenv("NFT_SYNC_SHOW_BATCH") != null) {
      System.out.println(lastBatch[0]);
    }
    if (System.getenv("NFT_SYNC_SHOW_TIMES") != null) { // each change in order: where a tail is
      System.out.println("change, ms: " + roundedMillis(micros));
      System.out.println("nft's share, ms: " + roundedMillis(nftMicros));
    }
    Arrays.sort(micros);
    Arrays.sort(nftMicros);
    System.out.printf(
        "| %,d | %,d | %,d ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n",
        services,
        services * ENDPOINTS_EACH,
        firstMs,
        percentile(micros, 50) / 1000,
        percentile(micros, 99) / 1000,
        micros[micros.length - 1] / 1000,
        percentile(nftMicros, 50) / 1000,
        cpuMsPerChange);
    check(List.of(proxier.cleanup()).stream().filter(s -> !s.isEmpty()).toList(), "cleanup");
    if (system instanceof NftSession session) {
      session.close();
    }
  }

  /**
   * User + system CPU of this JVM's children (the nft runs), in clock ticks of 10 ms: the finished
   * ones' ({@code /proc/self/stat} cutime + cstime) and the running ones' (the session's {@code nft
   * -i}: utime + stime). The CPU a change costs whatever the machine's load.
   */
  private static long childCpuTicks() throws java.io.IOException {
    String[] self = stat("self");
    long ticks = Long.parseLong(self[13]) + Long.parseLong(self[14]); // fields 16 and 17 of stat
    for (ProcessHandle child : ProcessHandle.current().children().toList()) {
      try {
        String[] fields = stat(Long.toString(child.pid()));
        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields 14 and 15
      } catch (java.io.IOException e) {
        // it ended meanwhile: its ticks moved into cutime
      }
    }
    return ticks;
  }

  /** The fields of {@code /proc/PID/stat} after the command's name, from field 3 (state). */
  private static String[] stat(String pid) throws java.io.IOException {
    String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", pid, "stat"));
    return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
  }

  private static ServiceName name(int i) {
    return new ServiceName("default", "svc-" + i);
  }

  private static Service service(int i) {
    boolean nodePort = i < NODE_PORTS;
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("svc-" + i))
        .setSpec(
            ServiceSpec.newBuilder()
                .setType(nodePort ? "NodePort" : "ClusterIP")
                .setClusterIp("10.96." + (i / 250) + "." + (i % 250 + 1))
                .addPorts(
                    ServicePort.newBuilder()
                        .setName("http")
                        .setProtocol("TCP")
                        .setPort(80)
                        .setNodePort(nodePort ? 30000 + i : 0)))
        .build();
  }

  /** Service {@code i}'s endpoints; each {@code shift} replaces one of them with a new address. */
  private static Endpoints endpoints(int i, int shift) {
    Endpoints.Builder b =
        Endpoints.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName("svc-" + i));
    for (int e = 0; e < ENDPOINTS_EACH; e++) {
      long n = (long) i * ENDPOINTS_EACH + e + (e == 0 ? (long) shift * 1_000_003 : 0);
      String ip = "10." + (100 + n / 65536 % 100) + "." + (n / 256 % 256) + "." + (n % 256);
      b.addEndpoints(
          Endpoint.newBuilder()
              .setAddress(ip)
              .setNodeName("node-1")
              .setConditions(EndpointConditions.newBuilder().setReady(true).setServing(true))
              .addPorts(EndpointPort.newBuilder().setName("http").setPort(8080)));
    }
    return b.build();
  }

  private static String roundedMillis(double[] micros) {
    return Arrays.toString(Arrays.stream(micros).mapToLong(m -> Math.round(m / 1000)).toArray());
  }

  private static double percentile(double[] sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static void check(List<String> errors, String what) {
    if (!errors.isEmpty()) {
      throw new IllegalStateException(what + ": " + errors);
    }
  }

  private static String arg(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }
}
