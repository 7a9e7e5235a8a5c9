package dev.switchboard.v1;

/** Annotations on our objects that more than one component reads. */
public final class Annotations {
    /**
     * On a LoadBalancer Service, {@code "v2"}: cloud-lb opens each connection to a node with a PROXY
     * protocol v2 header naming the client, and the node agents' NodePorts of the service accept it
     * (so ClientIP affinity and traces see the real client). Any other value: no header.
     */
    public static final String PROXY_PROTOCOL = "switchboard.dev/proxy-protocol";

    private Annotations() {
    }
}
