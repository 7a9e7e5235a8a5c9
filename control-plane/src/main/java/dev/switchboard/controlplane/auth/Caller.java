package dev.switchboard.controlplane.auth;

import io.grpc.Context;

/**
 * Who is calling, for the checks that depend on it after authorization: set by {@link
 * AdminAuthorizer} for a call made with a node's certificate.
 */
public final class Caller {
  /** The node a node agent's certificate names; unset for users and load balancers. */
  public static final Context.Key<String> NODE = Context.key("switchboard-caller-node");

  private Caller() {}

  /** The calling node, or null when the caller is not a node. */
  public static String node() {
    return NODE.get();
  }
}
