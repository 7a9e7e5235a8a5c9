package dev.switchboard.controlplane.validation;

import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.HTTPHeader;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Probe;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Kubernetes' probe rules ({@code validateProbe}, {@code validateHandler}) for the probes a node
 * agent can run: httpGet, tcpSocket and grpc. An exec probe is refused: nothing here runs commands
 * in a container, and a probe silently never run would leave the pod Ready forever.
 */
final class ProbeRules {
  static final List<String> SCHEMES = List.of("HTTP", "HTTPS");

  /** RFC 7230 token characters, as Kubernetes' {@code IsHTTPHeaderName}. */
  private static final Pattern HEADER_NAME = Pattern.compile("[-A-Za-z0-9]+");

  private ProbeRules() {}

  /** Kubernetes' probe defaults: timeout 1 s, period 10 s, thresholds 1 and 3, path "/", HTTP. */
  static Probe defaults(Probe probe) {
    Probe.Builder b = probe.toBuilder();
    if (b.getTimeoutSeconds() == 0) {
      b.setTimeoutSeconds(1);
    }
    if (b.getPeriodSeconds() == 0) {
      b.setPeriodSeconds(10);
    }
    if (b.getSuccessThreshold() == 0) {
      b.setSuccessThreshold(1);
    }
    if (b.getFailureThreshold() == 0) {
      b.setFailureThreshold(3);
    }
    if (b.hasHttpGet()) {
      HTTPGetAction.Builder http = b.getHttpGetBuilder();
      if (http.getPath().isEmpty()) {
        http.setPath("/");
      }
      if (http.getScheme().isEmpty()) {
        http.setScheme("HTTP");
      }
    }
    return b.build();
  }

  /**
   * Every problem with a defaulted probe at {@code path}; {@code portNames} are the pod's container
   * port names, which a named probe port must be one of.
   */
  static void validate(
      Probe probe, String path, boolean startup, Set<String> portNames, List<FieldError> errs) {
    switch (probe.getHandlerCase()) {
      case HTTP_GET -> {
        HTTPGetAction http = probe.getHttpGet();
        port(http.getPort(), path + ".httpGet.port", portNames, errs);
        if (!http.getPath().startsWith("/")) {
          errs.add(
              FieldError.invalid(
                  path + ".httpGet.path", http.getPath(), "must be an absolute path"));
        }
        if (!SCHEMES.contains(http.getScheme())) {
          errs.add(FieldError.notSupported(path + ".httpGet.scheme", http.getScheme(), SCHEMES));
        }
        for (int i = 0; i < http.getHttpHeadersCount(); i++) {
          HTTPHeader h = http.getHttpHeaders(i);
          if (!HEADER_NAME.matcher(h.getName()).matches()) {
            errs.add(
                FieldError.invalid(
                    path + ".httpGet.httpHeaders[" + i + "].name",
                    h.getName(),
                    "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                        + "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"));
          }
        }
      }
      case TCP_SOCKET ->
          port(probe.getTcpSocket().getPort(), path + ".tcpSocket.port", portNames, errs);
      case GRPC -> {
        for (String msg : NameRules.portNumber(probe.getGrpc().getPort())) {
          errs.add(FieldError.invalid(path + ".grpc.port", probe.getGrpc().getPort(), msg));
        }
      }
      case EXEC ->
          errs.add(
              FieldError.forbidden(
                  path + ".exec",
                  "exec probes cannot run here: Switchboard runs"
                      + " no containers (use httpGet, tcpSocket or grpc)"));
      case HANDLER_NOT_SET -> errs.add(FieldError.required(path, "must specify a handler type"));
    }
    nonNegative(probe.getInitialDelaySeconds(), path + ".initialDelaySeconds", errs);
    nonNegative(probe.getTimeoutSeconds(), path + ".timeoutSeconds", errs);
    nonNegative(probe.getPeriodSeconds(), path + ".periodSeconds", errs);
    nonNegative(probe.getSuccessThreshold(), path + ".successThreshold", errs);
    nonNegative(probe.getFailureThreshold(), path + ".failureThreshold", errs);
    if (startup && probe.getSuccessThreshold() != 1) {
      errs.add(
          FieldError.invalid(path + ".successThreshold", probe.getSuccessThreshold(), "must be 1"));
    }
  }

  /** A number 1..65535, or the name of one of the pod's container ports. */
  private static void port(
      IntOrString port, String path, Set<String> portNames, List<FieldError> errs) {
    int before = errs.size();
    ServicePortRules.targetPort(port, path, errs);
    if (errs.size() == before && port.hasStrValue() && !portNames.contains(port.getStrValue())) {
      errs.add(
          FieldError.invalid(
              path,
              port.getStrValue(),
              "must be the name of one of the pod's container" + " ports"));
    }
  }

  private static void nonNegative(int value, String path, List<FieldError> errs) {
    if (value < 0) {
      errs.add(FieldError.invalid(path, value, "must be greater than or equal to 0"));
    }
  }
}
