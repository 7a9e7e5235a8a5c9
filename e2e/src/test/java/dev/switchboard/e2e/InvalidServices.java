package dev.switchboard.e2e;

import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.ClientIPConfig;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServicePort;
import dev.switchboard.v1.ServiceSpec;
import dev.switchboard.v1.SessionAffinityConfig;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Seeded generator of invalid Service specs, field by field: a valid service (random type, name,
 * selector, port) with exactly one field made invalid in a randomly chosen way. Each case knows the
 * field path the refusal must name, in the Kubernetes API's spelling.
 */
final class InvalidServices {
  /** One invalid spec and the field its refusal must name. */
  record Case(String field, ApplyServiceRequest request) {}

  private record Mutation(
      String field, BiFunction<Random, Service.Builder, Service.Builder> apply) {}

  private static final String LOWER = "abcdefghijklmnopqrstuvwxyz";

  private static final List<Mutation> MUTATIONS =
      List.of(
          new Mutation("metadata.name", (r, s) -> meta(s, m -> m.setName(badDnsLabel(r, true)))),
          new Mutation(
              "metadata.namespace", (r, s) -> meta(s, m -> m.setNamespace(badDnsLabel(r, false)))),
          new Mutation("metadata.labels", (r, s) -> meta(s, m -> m.putLabels(badLabelKey(r), "v"))),
          new Mutation(
              "spec.selector", (r, s) -> spec(s, p -> p.putSelector("app", badLabelValue(r)))),
          new Mutation(
              "spec.type",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setType(
                              pick(
                                  r,
                                  "Foo",
                                  "clusterip",
                                  "Nodeport",
                                  "External",
                                  word(r, 1 + r.nextInt(12)))))),
          new Mutation(
              "spec.ports[0].port",
              (r, s) ->
                  port(
                      s,
                      p ->
                          p.setPort(
                              r.nextBoolean()
                                  ? 65536 + r.nextInt(100_000)
                                  : -1 - r.nextInt(100_000)))),
          new Mutation(
              "spec.ports[0].protocol",
              (r, s) ->
                  port(
                      s,
                      p ->
                          p.setProtocol(
                              pick(
                                  r,
                                  "tcp",
                                  "HTTP",
                                  "SCTP",
                                  "ICMP",
                                  word(r, 1 + r.nextInt(8)).toUpperCase() + "X")))),
          new Mutation(
              "spec.ports[0].targetPort",
              (r, s) ->
                  port(
                      s,
                      p ->
                          p.setTargetPort(
                              r.nextBoolean()
                                  ? IntOrString.newBuilder()
                                      .setIntValue(
                                          r.nextBoolean()
                                              ? 65536 + r.nextInt(9999)
                                              : -1 - r.nextInt(9999))
                                  : IntOrString.newBuilder().setStrValue(badPortName(r))))),
          new Mutation(
              "spec.ports[0].nodePort",
              (r, s) ->
                  port(
                      spec(s, p -> p.setType("NodePort")),
                      p ->
                          p.setNodePort(
                              r.nextBoolean()
                                  ? 1 + r.nextInt(29_999)
                                  : 32_768 + r.nextInt(32_000)))),
          new Mutation(
              "spec.ports[0].name", (r, s) -> port(s, p -> p.setName(badDnsLabel(r, false)))),
          new Mutation(
              "spec.ports[1]",
              (r, s) -> spec(s, p -> p.addPorts(p.getPorts(0).toBuilder().setName("other")))),
          new Mutation(
              "spec.ports[1].name",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.addPorts(
                              p.getPorts(0).toBuilder()
                                  .setPort(
                                      p.getPorts(0).getPort() == 65535
                                          ? 1
                                          : p.getPorts(0).getPort() + 1)
                                  .setName(r.nextBoolean() ? "" : p.getPorts(0).getName())))),
          new Mutation(
              "spec.ports[0].appProtocol",
              (r, s) -> port(s, p -> p.setAppProtocol("bad proto " + word(r, 3)))),
          new Mutation("spec.ports", (r, s) -> spec(s, ServiceSpec.Builder::clearPorts)),
          new Mutation(
              "spec.clusterIP",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setClusterIp(
                              pick(
                                  r,
                                  "300.1.2.3",
                                  "1.2.3",
                                  "abc",
                                  "127.0.0." + (256 + r.nextInt(700)),
                                  "10.0.0.1",
                                  "::1")))),
          new Mutation(
              "spec.sessionAffinity",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setSessionAffinity(
                              pick(r, "Sticky", "clientip", "Cookie", word(r, 5))))),
          new Mutation(
              "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setSessionAffinity("ClientIP")
                              .setSessionAffinityConfig(
                                  SessionAffinityConfig.newBuilder()
                                      .setClientIp(
                                          ClientIPConfig.newBuilder()
                                              .setTimeoutSeconds(
                                                  r.nextBoolean()
                                                      ? 86_401 + r.nextInt(1_000_000)
                                                      : -1 - r.nextInt(1000)))))),
          new Mutation(
              "spec.externalTrafficPolicy",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setType("NodePort")
                              .setExternalTrafficPolicy(
                                  pick(r, "Global", "local", "Node", word(r, 4))))),
          new Mutation(
              "spec.internalTrafficPolicy",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setInternalTrafficPolicy(
                              pick(r, "Global", "local", "Node", word(r, 4))))),
          new Mutation(
              "spec.loadBalancerSourceRanges[0]",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setType("LoadBalancer")
                              .addLoadBalancerSourceRanges(
                                  pick(
                                      r,
                                      "10.0.0.0/33",
                                      "1.2.3.4/99",
                                      "300.0.0.0/8",
                                      "banana",
                                      "10.0.0.1/8")))),
          new Mutation(
              "spec.loadBalancerIP",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setType("LoadBalancer")
                              .setLoadBalancerIp(
                                  pick(r, "1.2.3", "300.1.1.1", "lb", "1.2.3.4.5")))),
          new Mutation(
              "spec.healthCheckNodePort",
              (r, s) ->
                  spec(
                      s,
                      p ->
                          p.setType("ClusterIP")
                              .setHealthCheckNodePort(30_000 + r.nextInt(2000)))));

  private InvalidServices() {}

  static List<String> fields() {
    return MUTATIONS.stream().map(Mutation::field).toList();
  }

  /** The {@code i}-th case: a fresh valid base, then one mutation, both drawn from {@code r}. */
  static Case next(Random r, int i) {
    Mutation m = MUTATIONS.get(r.nextInt(MUTATIONS.size()));
    Service.Builder base =
        Service.newBuilder()
            .setMetadata(ObjectMeta.newBuilder().setNamespace("fuzz").setName("svc-" + i))
            .setSpec(
                ServiceSpec.newBuilder()
                    .setType(pick(r, "ClusterIP", "NodePort"))
                    .putSelector("app", "a" + r.nextInt(100))
                    .addPorts(
                        ServicePort.newBuilder()
                            .setName("http")
                            .setProtocol("TCP")
                            .setPort(1 + r.nextInt(65535))
                            .setTargetPort(
                                IntOrString.newBuilder().setIntValue(1 + r.nextInt(65535)))));
    return new Case(
        m.field(), ApplyServiceRequest.newBuilder().setService(m.apply().apply(r, base)).build());
  }

  private static Service.Builder meta(
      Service.Builder s, java.util.function.Consumer<ObjectMeta.Builder> change) {
    change.accept(s.getMetadataBuilder());
    return s;
  }

  private static Service.Builder spec(
      Service.Builder s, java.util.function.Consumer<ServiceSpec.Builder> change) {
    change.accept(s.getSpecBuilder());
    return s;
  }

  private static Service.Builder port(
      Service.Builder s, java.util.function.Consumer<ServicePort.Builder> change) {
    change.accept(s.getSpecBuilder().getPortsBuilder(0));
    return s;
  }

  /** Not a DNS label: a bad character, a bad first or last character, or too long. */
  private static String badDnsLabel(Random r, boolean firstMustBeLetter) {
    String base = word(r, 3 + r.nextInt(10));
    return switch (r.nextInt(firstMustBeLetter ? 5 : 4)) {
      case 0 -> insert(r, base, pick(r, "_", ".", "A", "!", " ", "@", "*"));
      case 1 -> "-" + base;
      case 2 -> base + "-";
      case 3 -> base + "a".repeat(64);
      default -> r.nextInt(10) + base;
    };
  }

  private static String badLabelKey(Random r) {
    return pick(
        r,
        "-" + word(r, 4),
        word(r, 3) + " " + word(r, 3),
        "a/b/c",
        word(r, 4) + "!",
        "x".repeat(64 + r.nextInt(20)),
        "/" + word(r, 3));
  }

  private static String badLabelValue(Random r) {
    return pick(
        r,
        "-" + word(r, 4),
        word(r, 3) + " " + word(r, 2),
        word(r, 4) + "!",
        "v".repeat(64 + r.nextInt(20)),
        word(r, 3) + "/" + word(r, 3));
  }

  /** Not an IANA service name: too long, a double hyphen, no letter, or a bad character. */
  private static String badPortName(Random r) {
    return pick(
        r,
        word(r, 16 + r.nextInt(10)),
        "a--b",
        Integer.toString(1000 + r.nextInt(9000)),
        "-" + word(r, 4),
        word(r, 3) + "_" + word(r, 3),
        word(r, 3).toUpperCase() + "!");
  }

  private static String insert(Random r, String s, String c) {
    int at = 1 + r.nextInt(s.length() - 1);
    return s.substring(0, at) + c + s.substring(at);
  }

  private static String word(Random r, int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append(LOWER.charAt(r.nextInt(LOWER.length())));
    }
    return b.toString();
  }

  @SafeVarargs
  private static <T> T pick(Random r, T... options) {
    return options[r.nextInt(options.length)];
  }
}
