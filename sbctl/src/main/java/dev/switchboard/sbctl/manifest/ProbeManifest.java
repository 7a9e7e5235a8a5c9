package dev.switchboard.sbctl.manifest;

import static dev.switchboard.sbctl.manifest.ServiceManifest.putIfSet;
import static dev.switchboard.sbctl.manifest.ServiceManifest.setIfPresent;

import dev.switchboard.v1.ExecAction;
import dev.switchboard.v1.GRPCAction;
import dev.switchboard.v1.HTTPGetAction;
import dev.switchboard.v1.HTTPHeader;
import dev.switchboard.v1.IntOrString;
import dev.switchboard.v1.Probe;
import dev.switchboard.v1.TCPSocketAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * A container's {@code readinessProbe} / {@code startupProbe} YAML ↔ {@link Probe}, field for field
 * as core/v1 has them. An {@code exec} probe is read too, so that the control plane refuses it with
 * its field error rather than sbctl dropping it.
 */
final class ProbeManifest {
  private ProbeManifest() {}

  static Probe read(Fields p) {
    Probe.Builder b = Probe.newBuilder();
    Fields http = p.object("httpGet");
    if (http.present()) {
      HTTPGetAction.Builder h = HTTPGetAction.newBuilder();
      setIfPresent(http.string("path"), h::setPath);
      IntOrString port = port(http, "port");
      if (port != null) {
        h.setPort(port);
      }
      setIfPresent(http.string("host"), h::setHost);
      setIfPresent(http.string("scheme"), h::setScheme);
      for (Fields header : http.objects("httpHeaders")) {
        HTTPHeader.Builder hh = HTTPHeader.newBuilder();
        setIfPresent(header.string("name"), hh::setName);
        setIfPresent(header.string("value"), hh::setValue);
        header.finish();
        h.addHttpHeaders(hh);
      }
      http.finish();
      b.setHttpGet(h);
    }
    Fields tcp = p.object("tcpSocket");
    if (tcp.present()) {
      TCPSocketAction.Builder t = TCPSocketAction.newBuilder();
      IntOrString port = port(tcp, "port");
      if (port != null) {
        t.setPort(port);
      }
      setIfPresent(tcp.string("host"), t::setHost);
      tcp.finish();
      b.setTcpSocket(t);
    }
    Fields grpc = p.object("grpc");
    if (grpc.present()) {
      GRPCAction.Builder g = GRPCAction.newBuilder();
      setInt(grpc.int32("port"), g::setPort);
      setIfPresent(grpc.string("service"), g::setService);
      grpc.finish();
      b.setGrpc(g);
    }
    Fields exec = p.object("exec");
    if (exec.present()) {
      b.setExec(ExecAction.newBuilder().addAllCommand(exec.strings("command")));
      exec.finish();
    }
    setInt(p.int32("initialDelaySeconds"), b::setInitialDelaySeconds);
    setInt(p.int32("timeoutSeconds"), b::setTimeoutSeconds);
    setInt(p.int32("periodSeconds"), b::setPeriodSeconds);
    setInt(p.int32("successThreshold"), b::setSuccessThreshold);
    setInt(p.int32("failureThreshold"), b::setFailureThreshold);
    // Only a liveness probe's grace could use it; it changes nothing for readiness.
    p.ignore("terminationGracePeriodSeconds");
    p.finish();
    return b.build();
  }

  static Map<String, Object> write(Probe probe) {
    Map<String, Object> m = new TreeMap<>();
    switch (probe.getHandlerCase()) {
      case HTTP_GET -> {
        HTTPGetAction h = probe.getHttpGet();
        Map<String, Object> http = new TreeMap<>();
        putIfSet(http, "path", h.getPath());
        putPort(http, h.getPort());
        putIfSet(http, "host", h.getHost());
        putIfSet(http, "scheme", h.getScheme());
        if (h.getHttpHeadersCount() > 0) {
          List<Object> headers = new ArrayList<>();
          for (HTTPHeader hh : h.getHttpHeadersList()) {
            headers.add(new TreeMap<>(Map.of("name", hh.getName(), "value", hh.getValue())));
          }
          http.put("httpHeaders", headers);
        }
        m.put("httpGet", http);
      }
      case TCP_SOCKET -> {
        Map<String, Object> tcp = new TreeMap<>();
        putPort(tcp, probe.getTcpSocket().getPort());
        putIfSet(tcp, "host", probe.getTcpSocket().getHost());
        m.put("tcpSocket", tcp);
      }
      case GRPC -> {
        Map<String, Object> grpc = new TreeMap<>();
        grpc.put("port", probe.getGrpc().getPort());
        putIfSet(grpc, "service", probe.getGrpc().getService());
        m.put("grpc", grpc);
      }
      case EXEC -> m.put("exec", Map.of("command", probe.getExec().getCommandList()));
      default -> {}
    }
    m.put("initialDelaySeconds", probe.getInitialDelaySeconds());
    m.put("timeoutSeconds", probe.getTimeoutSeconds());
    m.put("periodSeconds", probe.getPeriodSeconds());
    m.put("successThreshold", probe.getSuccessThreshold());
    m.put("failureThreshold", probe.getFailureThreshold());
    return m;
  }

  private static IntOrString port(Fields f, String key) {
    Object v = f.value(key);
    if (v instanceof String s) {
      return IntOrString.newBuilder().setStrValue(s).build();
    }
    Integer n = Fields.int32Value(v, f.child(key), f.problems());
    return n == null ? null : IntOrString.newBuilder().setIntValue(n).build();
  }

  private static void putPort(Map<String, Object> m, IntOrString port) {
    switch (port.getValueCase()) {
      case INT_VALUE -> m.put("port", port.getIntValue());
      case STR_VALUE -> m.put("port", port.getStrValue());
      default -> {}
    }
  }

  private static void setInt(Integer value, IntConsumer setter) {
    if (value != null) {
      setter.accept(value);
    }
  }
}
