package dev.switchboard.lb;

import dev.switchboard.v1.Service;

/** A service's namespace and name: how the load balancer keys everything it keeps per service. */
public record ServiceKey(String namespace, String name) implements Comparable<ServiceKey> {

    public ServiceKey {
        Checks.notNull(namespace, "namespace");
        Checks.notNull(name, "name");
    }

    public static ServiceKey of(Service service) {
        return new ServiceKey(service.getMetadata().getNamespace(), service.getMetadata().getName());
    }

    @Override
    public int compareTo(ServiceKey o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
