package dev.switchboard.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two control-plane replicas on one etcd, 1,000 NodePort services created concurrently through both
 * (a NodePort range of 1,200 so that dynamic picks collide), one replica killed with SIGKILL
 * part-way. Creates that failed are retried on the survivor, as a client would. Then etcd itself is
 * read: no ClusterIP or NodePort held twice, no allocation key without its owning service, no
 * service without its allocation keys.
 */
class ConcurrentAllocationTest {
  private static final int SERVICES = 1000;
  private static final int IN_FLIGHT = 64;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void replicasNeverHandOutAValueTwiceEvenWhenOneDiesMidway() throws Exception {
    try (E2eCluster cluster =
            E2eCluster.start(
                "concurrent-allocation",
                2,
                "10s",
                0,
                false,
                List.of("--node-port-range", "30000-31199"));
        EtcdInspector etcd = new EtcdInspector(cluster.etcd.endpoint())) {
      List<ManagedChannel> channels = List.of(channel(cluster, 0), channel(cluster, 1));
      try {
        Set<Integer> failed = ConcurrentHashMap.newKeySet();
        java.util.concurrent.CompletableFuture<Void> killed =
            new java.util.concurrent.CompletableFuture<>();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(SERVICES);
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        for (int i = 0; i < SERVICES; i++) {
          inFlight.acquire();
          int n = i;
          AdminGrpc.AdminFutureStub stub =
              AdminGrpc.newFutureStub(channels.get(i % 2)).withDeadlineAfter(20, TimeUnit.SECONDS);
          Futures.addCallback(
              stub.applyService(request(n)),
              new FutureCallback<Service>() {
                @Override
                public void onSuccess(Service s) {
                  finish();
                }

                @Override
                public void onFailure(Throwable t) {
                  failed.add(n);
                  finish();
                }

                private void finish() {
                  inFlight.release();
                  all.countDown();
                  if (done.incrementAndGet() == SERVICES * 3 / 10) {
                    new Thread(
                            () -> {
                              cluster.controlPlane(0).kill();
                              killed.complete(null);
                            },
                            "kill")
                        .start();
                  }
                }
              },
              MoreExecutors.directExecutor());
        }
        assertThat(all.await(60, TimeUnit.SECONDS)).as("all creates answered").isTrue();
        killed.get(20, TimeUnit.SECONDS);
        assertThat(cluster.controlPlane(0).alive()).isFalse();
        assertThat(failed).as("creates that failed before the kill").hasSizeLessThan(SERVICES);
        int retried = failed.size();
        AdminGrpc.AdminBlockingStub survivor = AdminGrpc.newBlockingStub(channels.get(1));
        for (int n : failed) {
          survivor.withDeadlineAfter(20, TimeUnit.SECONDS).applyService(request(n));
        }
        checkEtcd(etcd);
        System.out.printf(
            "concurrent allocation: %d creates over 2 replicas, replica 0 killed"
                + " after %d answers, %d retried on the survivor; etcd consistent%n",
            SERVICES, SERVICES * 3 / 10, retried);
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
      }
    }
  }

  private static void checkEtcd(EtcdInspector etcd) throws Exception {
    Map<String, Service> services = new HashMap<>();
    for (Map.Entry<String, byte[]> e : etcd.list("services/").entrySet()) {
      services.put(e.getKey(), Service.parseFrom(e.getValue()));
    }
    Map<String, String> allocations = new HashMap<>();
    etcd.list("alloc/").forEach((k, v) -> allocations.put(k, new String(v, UTF_8)));
    assertThat(services).hasSize(SERVICES);

    Map<String, String> expected = new HashMap<>(); // allocation key → owner it must name
    List<String> duplicates = new ArrayList<>();
    for (Map.Entry<String, Service> e : services.entrySet()) {
      Service s = e.getValue();
      String owner = e.getKey() + " " + s.getMetadata().getUid();
      List<String> keys = new ArrayList<>();
      keys.add("alloc/clusterip/" + s.getSpec().getClusterIp());
      for (ServicePort p : s.getSpec().getPortsList()) {
        keys.add("alloc/nodeport/" + p.getProtocol().toLowerCase() + "/" + p.getNodePort());
      }
      for (String k : keys) {
        if (expected.put(k, owner) != null) {
          duplicates.add(k);
        }
      }
    }
    assertThat(duplicates).as("values held by two services").isEmpty();
    Map<String, String> orphans = new HashMap<>(allocations);
    orphans.keySet().removeAll(expected.keySet());
    assertThat(orphans).as("allocation keys without an owning service").isEmpty();
    Map<String, String> missing = new HashMap<>(expected);
    missing.keySet().removeAll(allocations.keySet());
    assertThat(missing).as("services without their allocation keys").isEmpty();
    assertThat(allocations).as("every allocation names its service").isEqualTo(expected);
  }

  private static ApplyServiceRequest request(int n) {
    ApplyServiceRequest r = Specs.service(String.format("svc-%04d", n), "NodePort");
    return r;
  }

  private static ManagedChannel channel(E2eCluster cluster, int replica) {
    return NettyChannelBuilder.forTarget(cluster.controlPlaneTarget(replica))
        .usePlaintext()
        .build();
  }
}
