package dev.switchboard.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.AdminGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 1,000 invalid Service specs, generated field by field from a fixed seed, against a real control
 * plane: each must be refused with INVALID_ARGUMENT naming the broken field, and etcd must not
 * change at all (its revision is the same before and after).
 */
class InvalidServiceFuzzTest {
  private static final long SEED = 20_240_808L;
  private static final int CASES = 1000;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void everyInvalidSpecIsRefusedNamingItsFieldAndNothingIsWritten() {
    try (E2eCluster cluster = E2eCluster.start("invalid-service-fuzz", 1, "10s", 0, false);
        EtcdInspector etcd = new EtcdInspector(cluster.etcd.endpoint())) {
      AdminGrpc.AdminBlockingStub admin = cluster.admin(0);
      long before = etcd.revision();
      Random random = new Random(SEED);
      List<String> wrong = new ArrayList<>();
      Map<String, Integer> perField = new TreeMap<>();
      for (int i = 0; i < CASES; i++) {
        InvalidServices.Case c = InvalidServices.next(random, i);
        perField.merge(c.field(), 1, Integer::sum);
        try {
          admin.withDeadlineAfter(10, TimeUnit.SECONDS).applyService(c.request());
          wrong.add("#" + i + " " + c.field() + ": accepted: " + c.request());
        } catch (StatusRuntimeException e) {
          Status s = e.getStatus();
          if (s.getCode() != Status.Code.INVALID_ARGUMENT
              || s.getDescription() == null
              || !s.getDescription().contains(c.field() + ":")) {
            wrong.add(
                "#"
                    + i
                    + " "
                    + c.field()
                    + ": "
                    + s.getCode()
                    + " "
                    + s.getDescription()
                    + "\n    for "
                    + c.request().getService());
          }
        }
      }
      long after = etcd.revision();
      assertThat(wrong).as("cases not refused as expected (per field: %s)", perField).isEmpty();
      assertThat(perField.keySet()).containsExactlyInAnyOrderElementsOf(InvalidServices.fields());
      assertThat(after).as("etcd revision after %d refused writes", CASES).isEqualTo(before);
      assertThat(etcd.list("services/")).isEmpty();
      assertThat(etcd.list("alloc/")).isEmpty();
      System.out.printf(
          "fuzz: %d invalid specs refused, per field %s; etcd revision %d → %d%n",
          CASES, perField, before, after);
    }
  }
}
