package dev.switchboard.sbctl.manifest;

import static dev.switchboard.sbctl.manifest.ServiceManifest.putIfSet;
import static dev.switchboard.sbctl.manifest.ServiceManifest.setIfPresent;

import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.EndpointConditions;
import dev.switchboard.v1.EndpointPort;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.ObjectMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code discovery.k8s.io/v1 EndpointSlice} YAML ↔ a service's {@link Endpoints}. A slice names its
 * service with the {@code kubernetes.io/service-name} label, as in Kubernetes; its ports apply to
 * each of its endpoints, so endpoints with different ports print as several slices, and slices
 * applied together for one service are merged into one set of endpoints.
 */
public final class EndpointSliceManifest {
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";

  /** The managed-by value of derived endpoints (of services with a selector). */
  public static final String CONTROL_PLANE = "switchboard-control-plane";

  /** Endpoint fields about topology, which Switchboard does not use. */
  public static final List<String> IGNORED_ENDPOINT =
      List.of("hostname", "zone", "hints", "deprecatedTopology");

  /** ObjectReference fields other than kind and name. */
  public static final List<String> IGNORED_TARGET_REF =
      List.of("namespace", "uid", "apiVersion", "resourceVersion", "fieldPath");

  /** One slice as applied: the service it belongs to and its endpoints, ports filled in. */
  public record Slice(String name, String namespace, String service, List<Endpoint> endpoints) {}

  private EndpointSliceManifest() {}

  static Slice read(Fields root) {
    Fields meta = root.object("metadata");
    ObjectMeta m = Metadata.read(meta).build();
    meta.ignore("deletionTimestamp");
    meta.finish();
    String service = m.getLabelsOrDefault(SERVICE_NAME_LABEL, "");
    if (service.isEmpty() && meta.present()) {
      root.problems()
          .add(
              "metadata.labels["
                  + SERVICE_NAME_LABEL
                  + "]: required: names the selector-less service these endpoints belong to");
    }
    String addressType = root.string("addressType");
    if (addressType != null && !addressType.equals("IPv4")) {
      root.problems()
          .add("addressType: not supported by Switchboard: \"" + addressType + "\" (only IPv4)");
    }
    List<EndpointPort> ports = new ArrayList<>();
    for (Fields port : root.objects("ports")) {
      EndpointPort.Builder p = EndpointPort.newBuilder();
      setIfPresent(port.string("name"), p::setName);
      Integer number = port.int32("port");
      if (number != null) {
        p.setPort(number);
      } else if (!port.has("port")) {
        port.problems().add(port.child("port") + ": required");
      }
      setIfPresent(port.string("protocol"), p::setProtocol);
      setIfPresent(port.string("appProtocol"), p::setAppProtocol);
      port.finish();
      ports.add(p.build());
    }
    List<Endpoint> endpoints = new ArrayList<>();
    for (Fields e : root.objects("endpoints")) {
      endpoints.add(endpoint(e, ports));
    }
    return new Slice(m.getName(), m.getNamespace(), service, endpoints);
  }

  private static Endpoint endpoint(Fields e, List<EndpointPort> ports) {
    Endpoint.Builder b = Endpoint.newBuilder().addAllPorts(ports);
    List<String> addresses = e.strings("addresses");
    if (addresses.isEmpty() && !e.has("addresses")) {
      e.problems().add(e.child("addresses") + ": required");
    } else if (!addresses.isEmpty()) {
      b.setAddress(addresses.get(0)); // Kubernetes: consumers use the first address only
    }
    Fields c = e.object("conditions");
    Boolean ready = c.bool("ready");
    Boolean serving = c.bool("serving");
    Boolean terminating = c.bool("terminating");
    c.finish();
    // Kubernetes: an unset ready means "unknown", to be taken as ready; serving defaults to ready.
    boolean r = ready == null || ready;
    b.setConditions(
        EndpointConditions.newBuilder()
            .setReady(r)
            .setServing(serving == null ? r : serving)
            .setTerminating(terminating != null && terminating));
    setIfPresent(e.string("nodeName"), b::setNodeName);
    Fields ref = e.object("targetRef");
    if (ref.present()) {
      String kind = ref.string("kind");
      if (kind != null && !kind.equals("Pod")) {
        ref.problems()
            .add(
                ref.child("kind")
                    + ": unsupported value \""
                    + kind
                    + "\": supported values: \"Pod\"");
      }
      setIfPresent(ref.string("name"), b::setPodName);
      ref.ignore(IGNORED_TARGET_REF.toArray(String[]::new));
      ref.finish();
    }
    e.ignore(IGNORED_ENDPOINT.toArray(String[]::new));
    e.finish();
    return b.build();
  }

  /**
   * A service's endpoints as EndpointSlices, one per distinct port list, named after the service
   * ({@code web}, then {@code web-2}, ...). Derived endpoints carry the managed-by label.
   */
  public static List<Map<String, Object>> write(
      Endpoints endpoints, boolean derived, long creationMillis) {
    Map<List<EndpointPort>, List<Endpoint>> groups = new LinkedHashMap<>();
    for (Endpoint e : endpoints.getEndpointsList()) {
      groups.computeIfAbsent(e.getPortsList(), k -> new ArrayList<>()).add(e);
    }
    if (groups.isEmpty()) {
      groups.put(List.of(), List.of());
    }
    List<Map<String, Object>> slices = new ArrayList<>();
    String service = endpoints.getMetadata().getName();
    for (Map.Entry<List<EndpointPort>, List<Endpoint>> group : groups.entrySet()) {
      ObjectMeta.Builder meta =
          ObjectMeta.newBuilder()
              .setName(slices.isEmpty() ? service : service + "-" + (slices.size() + 1))
              .setNamespace(endpoints.getMetadata().getNamespace())
              .setResourceVersion(endpoints.getMetadata().getResourceVersion())
              .setCreationTimestampMillis(creationMillis)
              .putLabels(SERVICE_NAME_LABEL, service);
      if (derived) {
        meta.putLabels(MANAGED_BY_LABEL, CONTROL_PLANE);
      }
      Map<String, Object> slice =
          Metadata.object("discovery.k8s.io/v1", "EndpointSlice", Metadata.write(meta.build()));
      slice.put("addressType", "IPv4");
      List<Object> items = new ArrayList<>();
      for (Endpoint e : group.getValue()) {
        items.add(endpoint(e, endpoints.getMetadata().getNamespace()));
      }
      slice.put("endpoints", items);
      List<Object> ports = new ArrayList<>();
      for (EndpointPort p : group.getKey()) {
        Map<String, Object> port = new TreeMap<>();
        port.put("name", p.getName());
        port.put("port", p.getPort());
        putIfSet(port, "protocol", p.getProtocol());
        putIfSet(port, "appProtocol", p.getAppProtocol());
        ports.add(port);
      }
      slice.put("ports", ports);
      slices.add(slice);
    }
    return slices;
  }

  private static Map<String, Object> endpoint(Endpoint e, String namespace) {
    Map<String, Object> m = new TreeMap<>();
    m.put("addresses", List.of(e.getAddress()));
    Map<String, Object> conditions = new TreeMap<>();
    conditions.put("ready", e.getConditions().getReady());
    conditions.put("serving", e.getConditions().getServing());
    conditions.put("terminating", e.getConditions().getTerminating());
    m.put("conditions", conditions);
    putIfSet(m, "nodeName", e.getNodeName());
    if (!e.getPodName().isEmpty()) {
      m.put(
          "targetRef",
          new TreeMap<>(Map.of("kind", "Pod", "name", e.getPodName(), "namespace", namespace)));
    }
    return m;
  }
}
