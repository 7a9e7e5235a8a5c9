package dev.switchboard.sbctl.commands;

import dev.switchboard.sbctl.AdminClient;
import dev.switchboard.sbctl.CommandFailure;
import dev.switchboard.sbctl.ResourceType;
import dev.switchboard.v1.Endpoints;
import dev.switchboard.v1.GetRequest;
import dev.switchboard.v1.ListRequest;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.Pod;
import dev.switchboard.v1.Service;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads objects of one kind from the Admin API as {@link Item}s. */
final class Fetcher {
  private final AdminClient client;

  /** Services by namespace/name, for the age and origin of endpoints. */
  private final Map<String, Service> services = new HashMap<>();

  Fetcher(AdminClient client) {
    this.client = client;
  }

  /** Every object of {@code type} in {@code namespace} ("" for all) matching the selector. */
  List<Item> list(ResourceType type, String namespace, String selector) {
    ListRequest request =
        ListRequest.newBuilder()
            .setNamespace(namespace)
            .setLabelSelector(selector == null ? "" : selector)
            .build();
    List<Item> items = new ArrayList<>();
    switch (type) {
      case SERVICES ->
          client.admin().listServices(request).getItemsList().forEach(s -> items.add(Item.of(s)));
      case PODS ->
          client.admin().listPods(request).getItemsList().forEach(p -> items.add(Item.of(p)));
      case NODES ->
          client
              .admin()
              .listNodes(
                  ListRequest.newBuilder().setLabelSelector(request.getLabelSelector()).build())
              .getItemsList()
              .forEach(n -> items.add(Item.of(n)));
      case ENDPOINTS -> {
        client
            .admin()
            .listServices(ListRequest.newBuilder().setNamespace(namespace).build())
            .getItemsList()
            .forEach(this::remember);
        client
            .admin()
            .listEndpoints(request)
            .getItemsList()
            .forEach(e -> items.add(Item.of(e, service(e))));
      }
    }
    items.sort(Comparator.comparing(Item::namespace).thenComparing(Item::name));
    return items;
  }

  /** One object; NOT_FOUND propagates as the server said it. */
  Item get(ResourceType type, String namespace, String name) {
    GetRequest request = GetRequest.newBuilder().setNamespace(namespace).setName(name).build();
    return switch (type) {
      case SERVICES -> Item.of(client.admin().getService(request));
      case PODS -> Item.of(client.admin().getPod(request));
      case ENDPOINTS -> {
        Endpoints e = client.admin().getEndpoints(request);
        yield Item.of(e, service(e));
      }
      case NODES -> {
        for (Node n : client.admin().listNodes(ListRequest.getDefaultInstance()).getItemsList()) {
          if (n.getMetadata().getName().equals(name)) {
            yield Item.of(n);
          }
        }
        throw new StatusRuntimeException(
            Status.NOT_FOUND.withDescription("nodes \"" + name + "\" not found"));
      }
    };
  }

  /** The endpoints' service, from the last listing or asked for; null when it is gone. */
  Service service(Endpoints e) {
    String key = e.getMetadata().getNamespace() + "/" + e.getMetadata().getName();
    Service s = services.get(key);
    if (s == null) {
      try {
        s =
            client
                .admin()
                .getService(
                    GetRequest.newBuilder()
                        .setNamespace(e.getMetadata().getNamespace())
                        .setName(e.getMetadata().getName())
                        .build());
        remember(s);
      } catch (StatusRuntimeException ex) {
        if (ex.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw ex;
        }
      }
    }
    return s;
  }

  /** An event's object as an item (endpoints get their service looked up). */
  Item item(com.google.protobuf.Message object) {
    if (object instanceof Service s) {
      remember(s);
      return Item.of(s);
    }
    if (object instanceof Pod p) {
      return Item.of(p);
    }
    if (object instanceof Node n) {
      return Item.of(n);
    }
    if (object instanceof Endpoints e) {
      return Item.of(e, service(e));
    }
    throw new CommandFailure("error: unexpected object " + object.getClass().getSimpleName());
  }

  private void remember(Service s) {
    services.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
  }
}
