package dev.switchboard.e2e;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The loopback addresses of one test cluster, drawn at random so that two runs on one host (a
 * developer's bin/run-local, another suite) do not share ClusterIP or NodePort listeners:
 * ClusterIPs from {@code 127.A.0.0/16} (A in 100-199), nodes {@code 127.B.1.N}, LoadBalancer IPs
 * {@code 127.B.2.0/24}, pods {@code 127.B.3.N} (B in 200-254). Only 127.0.0.0/8.
 */
record Net(int a, int b) {
  static Net random() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return new Net(100 + r.nextInt(100), 200 + r.nextInt(55));
  }

  String serviceCidr() {
    return "127." + a + ".0.0/16";
  }

  String node(int n) {
    return "127." + b + ".1." + n;
  }

  String lbPool() {
    return "127." + b + ".2.0/24";
  }

  String pod(int n) {
    return "127." + b + ".3." + n;
  }
}
