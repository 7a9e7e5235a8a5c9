package dev.switchboard.sbctl.apply;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.manifest.EndpointSliceManifest;
import dev.switchboard.sbctl.manifest.Manifest;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.Endpoint;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.SetEndpointsRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies validated manifests in an order that works whatever the files' order: Services, then
 * Pods, then EndpointSlices (whose selector-less Service must exist). Each object is read first, so
 * the result can be {@code created}, {@code configured} or {@code unchanged} (no write).
 * EndpointSlices applied together for one service are merged: together they replace that service's
 * endpoints.
 */
public final class Applier {
  private final AdminClient client;
  private final Map<String, List<Endpoint>> slicesByService = new LinkedHashMap<>();
  private final Map<String, String> sliceResults = new HashMap<>();

  public Applier(AdminClient client) {
    this.client = client;
  }

  /** The manifests in apply order (stable within each kind). */
  public static List<Manifest> order(List<Manifest> manifests) {
    List<Manifest> ordered = new ArrayList<>(manifests);
    ordered.sort(Comparator.comparingInt(m -> m.service() != null ? 0 : m.pod() != null ? 1 : 2));
    return ordered;
  }

  /** Must be given every manifest before the first {@link #apply}, to merge slices. */
  public void plan(List<Manifest> manifests) {
    for (Manifest m : manifests) {
      if (m.slice() != null) {
        slicesByService
            .computeIfAbsent(key(m.slice()), k -> new ArrayList<>())
            .addAll(m.slice().endpoints());
      }
    }
  }

  /** Applies one object; returns "created", "configured" or "unchanged". */
  public String apply(Manifest m) {
    if (m.service() != null) {
      return service(m.service());
    }
    if (m.pod() != null) {
      return pod(m.pod());
    }
    return sliceResults.computeIfAbsent(key(m.slice()), k -> endpoints(m.slice()));
  }

  private String service(Service desired) {
    Service current =
        find(
            () ->
                client
                    .admin()
                    .getService(
                        get(
                            desired.getMetadata().getNamespace(),
                            desired.getMetadata().getName())));
    if (current != null && Unchanged.service(current, desired)) {
      return "unchanged";
    }
    client.admin().applyService(ApplyServiceRequest.newBuilder().setService(desired).build());
    return current == null ? "created" : "configured";
  }

  private String pod(Pod desired) {
    Pod current =
        find(
            () ->
                client
                    .admin()
                    .getPod(
                        get(
                            desired.getMetadata().getNamespace(),
                            desired.getMetadata().getName())));
    if (current != null && Unchanged.pod(current, desired)) {
      return "unchanged";
    }
    client.admin().applyPod(ApplyPodRequest.newBuilder().setPod(desired).build());
    return current == null ? "created" : "configured";
  }

  private String endpoints(EndpointSliceManifest.Slice slice) {
    List<Endpoint> desired = slicesByService.get(key(slice));
    var current = find(() -> client.admin().getEndpoints(get(slice.namespace(), slice.service())));
    List<Endpoint> currentList = current == null ? List.of() : current.getEndpointsList();
    if (current != null && Unchanged.endpoints(currentList, desired)) {
      return "unchanged";
    }
    client
        .admin()
        .setEndpoints(
            SetEndpointsRequest.newBuilder()
                .setNamespace(slice.namespace())
                .setService(slice.service())
                .addAllEndpoints(desired)
                .build());
    return currentList.isEmpty() ? "created" : "configured";
  }

  private static String key(EndpointSliceManifest.Slice slice) {
    return slice.namespace() + "/" + slice.service();
  }

  private static GetRequest get(String namespace, String name) {
    return GetRequest.newBuilder().setNamespace(namespace).setName(name).build();
  }

  /** The object, or null when the server says NOT_FOUND. */
  static <T> T find(java.util.function.Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }
}
