package dev.switchboard.controlplane.state;

/**
 * The key layout in etcd (relative to the configured prefix), as in the design. One place so that
 * the registry, the cache readers and the tests agree.
 */
public final class Keys {
  public static final String SERVICES = "services/";
  public static final String PODS = "pods/";
  public static final String ENDPOINTS = "endpoints/";
  public static final String NODES = "nodes/";

  /** A node's liveness key, held by an etcd lease of the replica serving its stream. */
  public static final String NODE_LEASES = "nodeleases/";

  public static final String ALLOC = "alloc/";

  /**
   * The origin (write time, trace context) of the last change, written in the same transaction as
   * the change by {@code telemetry.TracingStore}: one key, overwritten, read from the watch.
   */
  public static final String LAST_CHANGE = "lastchange";

  private Keys() {}

  public static String service(String namespace, String name) {
    return SERVICES + namespace + "/" + name;
  }

  public static String pod(String namespace, String name) {
    return PODS + namespace + "/" + name;
  }

  public static String endpoints(String namespace, String service) {
    return ENDPOINTS + namespace + "/" + service;
  }

  public static String node(String name) {
    return NODES + name;
  }

  public static String nodeLease(String name) {
    return NODE_LEASES + name;
  }

  /** The prefix of a kind's keys in one namespace, or in all when {@code namespace} is empty. */
  public static String namespaced(String kindPrefix, String namespace) {
    return namespace.isEmpty() ? kindPrefix : kindPrefix + namespace + "/";
  }

  /** {@code [namespace, name]} of a namespaced key, e.g. {@code services/default/web}. */
  public static String[] namespaceAndName(String key) {
    int first = key.indexOf('/');
    int second = key.indexOf('/', first + 1);
    return new String[] {key.substring(first + 1, second), key.substring(second + 1)};
  }
}
