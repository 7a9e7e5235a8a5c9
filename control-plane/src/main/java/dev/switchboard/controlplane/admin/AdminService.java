package dev.switchboard.controlplane.admin;

import dev.switchboard.controlplane.auth.Caller;
import dev.switchboard.controlplane.labels.LabelSelector;
import dev.switchboard.controlplane.registry.ApiException;
import dev.switchboard.controlplane.registry.EndpointsRegistry;
import dev.switchboard.controlplane.registry.PodRegistry;
import dev.switchboard.controlplane.registry.ServiceRegistry;
import dev.switchboard.controlplane.state.Keys;
import dev.switchboard.controlplane.state.PublishedState;
import dev.switchboard.controlplane.state.ResourceId;
import dev.switchboard.controlplane.state.StoredObjects;
import dev.switchboard.controlplane.store.KeyValue;
import dev.switchboard.controlplane.store.Listing;
import dev.switchboard.controlplane.store.Store;
import dev.switchboard.v1.AdminGrpc;
import dev.switchboard.v1.ApplyPodRequest;
import dev.switchboard.v1.ApplyServiceRequest;
import dev.switchboard.v1.DeleteRequest;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.EndpointsList;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.NodeList;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.PodList;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.Service;
import dev.switchboard.v1.ServiceList;
import dev.switchboard.v1.SetEndpointsRequest;
import dev.switchboard.v1.SetPodConditionsRequest;
import dev.switchboard.v1.UpdateServiceStatusRequest;
import dev.switchboard.v1.WatchEvent;
import dev.switchboard.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The Admin API. Writes go through the registries (one etcd transaction each); reads of stored
 * objects go to etcd, so a read after a write always sees it; endpoints and node readiness are
 * derived, so they come from this replica's published state.
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
  private final Store store;
  private final ServiceRegistry services;
  private final PodRegistry pods;
  private final EndpointsRegistry endpoints;
  private final PublishedState published;
  private final AdminWatches watches;

  public AdminService(
      Store store,
      ServiceRegistry services,
      PodRegistry pods,
      EndpointsRegistry endpoints,
      PublishedState published,
      AdminWatches watches) {
    this.store = store;
    this.services = services;
    this.pods = pods;
    this.endpoints = endpoints;
    this.published = published;
    this.watches = watches;
  }

  @Override
  public void applyService(ApplyServiceRequest request, StreamObserver<Service> response) {
    unary(
        response,
        () -> {
          return services.apply(request.getService(), request.getCreateOnly()); // defaults it
        });
  }

  @Override
  public void getService(GetRequest request, StreamObserver<Service> response) {
    unary(
        response,
        () -> services.get(namespaceOrDefault(request.getNamespace()), request.getName()));
  }

  @Override
  public void listServices(ListRequest request, StreamObserver<ServiceList> response) {
    unary(
        response,
        () -> {
          LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
          Listing listing = store.list(Keys.namespaced(Keys.SERVICES, request.getNamespace()));
          ServiceList.Builder list =
              ServiceList.newBuilder().setResourceVersion(listing.revision());
          for (KeyValue kv : listing.items()) {
            Service service = StoredObjects.service(kv);
            if (selector.matches(service.getMetadata().getLabelsMap())) {
              list.addItems(service);
            }
          }
          return list.build();
        });
  }

  @Override
  public void deleteService(DeleteRequest request, StreamObserver<Service> response) {
    unary(
        response,
        () ->
            services.delete(
                namespaceOrDefault(request.getNamespace()),
                request.getName(),
                request.getResourceVersion()));
  }

  @Override
  public void updateServiceStatus(
      UpdateServiceStatusRequest request, StreamObserver<Service> response) {
    unary(
        response,
        () ->
            services.updateStatus(
                namespaceOrDefault(request.getNamespace()),
                request.getName(),
                request.getStatus()));
  }

  @Override
  public void applyPod(ApplyPodRequest request, StreamObserver<Pod> response) {
    unary(
        response,
        () -> {
          Pod pod = request.getPod();
          if (pod.getMetadata().getNamespace().isEmpty()) {
            pod =
                pod.toBuilder()
                    .setMetadata(pod.getMetadata().toBuilder().setNamespace("default"))
                    .build();
          }
          return pods.apply(pod, request.getCreateOnly());
        });
  }

  @Override
  public void getPod(GetRequest request, StreamObserver<Pod> response) {
    unary(response, () -> pods.get(namespaceOrDefault(request.getNamespace()), request.getName()));
  }

  @Override
  public void listPods(ListRequest request, StreamObserver<PodList> response) {
    unary(
        response,
        () -> {
          LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
          Listing listing = store.list(Keys.namespaced(Keys.PODS, request.getNamespace()));
          PodList.Builder list = PodList.newBuilder().setResourceVersion(listing.revision());
          for (KeyValue kv : listing.items()) {
            Pod pod = StoredObjects.pod(kv);
            if (selector.matches(pod.getMetadata().getLabelsMap())) {
              list.addItems(pod);
            }
          }
          return list.build();
        });
  }

  @Override
  public void deletePod(DeleteRequest request, StreamObserver<Pod> response) {
    unary(
        response,
        () ->
            pods.delete(
                namespaceOrDefault(request.getNamespace()),
                request.getName(),
                request.getResourceVersion()));
  }

  @Override
  public void setPodConditions(SetPodConditionsRequest request, StreamObserver<Pod> response) {
    unary(
        response,
        () ->
            pods.setConditions(
                namespaceOrDefault(request.getNamespace()),
                request.getName(),
                request.hasReady() ? request.getReady() : null,
                request.getReadyMessage(),
                request.hasTerminating() ? request.getTerminating() : null,
                Caller.node()));
  }

  @Override
  public void setEndpoints(SetEndpointsRequest request, StreamObserver<Endpoints> response) {
    unary(
        response,
        () ->
            endpoints.set(
                namespaceOrDefault(request.getNamespace()),
                request.getService(),
                request.getEndpointsList()));
  }

  @Override
  public void getEndpoints(GetRequest request, StreamObserver<Endpoints> response) {
    unary(
        response,
        () -> {
          String namespace = namespaceOrDefault(request.getNamespace());
          Resource resource =
              published.get(new ResourceId(Kind.ENDPOINTS, namespace, request.getName()));
          if (resource == null) {
            throw dev.switchboard.controlplane.registry.ApiException.notFound(
                "endpoints", namespace, request.getName());
          }
          return resource.getEndpoints();
        });
  }

  @Override
  public void listEndpoints(ListRequest request, StreamObserver<EndpointsList> response) {
    unary(
        response,
        () -> {
          LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
          List<Endpoints> items = new ArrayList<>();
          for (Resource resource : published.all()) {
            if (!resource.hasEndpoints()) {
              continue;
            }
            Endpoints e = resource.getEndpoints();
            if ((request.getNamespace().isEmpty()
                    || request.getNamespace().equals(e.getMetadata().getNamespace()))
                && selector.matches(serviceLabels(e))) {
              items.add(e);
            }
          }
          items.sort(
              Comparator.comparing((Endpoints e) -> e.getMetadata().getNamespace())
                  .thenComparing(e -> e.getMetadata().getName()));
          return EndpointsList.newBuilder()
              .addAllItems(items)
              .setResourceVersion(published.version())
              .build();
        });
  }

  @Override
  public void listNodes(ListRequest request, StreamObserver<NodeList> response) {
    unary(
        response,
        () -> {
          LabelSelector selector = LabelSelector.parse(request.getLabelSelector());
          List<Node> items = new ArrayList<>();
          for (Resource resource : published.all()) {
            if (resource.hasNode()
                && selector.matches(resource.getNode().getMetadata().getLabelsMap())) {
              items.add(resource.getNode());
            }
          }
          items.sort(Comparator.comparing(n -> n.getMetadata().getName()));
          return NodeList.newBuilder()
              .addAllItems(items)
              .setResourceVersion(published.version())
              .build();
        });
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<WatchEvent> response) {
    try {
      String node = Caller.node();
      if (node != null
          && (request.getKind() != Kind.POD
              || !request.getFieldSelector().equals(AdminWatches.NODE_NAME_FIELD + "=" + node))) {
        throw new ApiException(
            ApiException.Reason.FORBIDDEN,
            "node \""
                + node
                + "\" can only"
                + " watch pods with fieldSelector "
                + AdminWatches.NODE_NAME_FIELD
                + "="
                + node);
      }
      watches.watch(request, response);
    } catch (RuntimeException e) {
      response.onError(ApiErrors.toStatus(e).asRuntimeException());
    }
  }

  /** Endpoints carry their service's labels for selection, as EndpointSlices do. */
  private java.util.Map<String, String> serviceLabels(Endpoints e) {
    Resource service =
        published.get(
            new ResourceId(
                Kind.SERVICE, e.getMetadata().getNamespace(), e.getMetadata().getName()));
    return service == null ? java.util.Map.of() : service.getService().getMetadata().getLabelsMap();
  }

  private static String namespaceOrDefault(String namespace) {
    return namespace.isEmpty() ? "default" : namespace;
  }

  private static <T> void unary(StreamObserver<T> response, Supplier<T> call) {
    T result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      Status status = ApiErrors.toStatus(e);
      response.onError(status.asRuntimeException());
      return;
    }
    response.onNext(result);
    response.onCompleted();
  }
}
