package dev.switchboard.agent;

/** Which data path forwards this node's service traffic. */
public enum ProxyMode {
  /** Every port through the agent's Netty forwarder; needs no privileges (bin/run-local). */
  USERSPACE,
  /**
   * Ports the kernel can serve through nftables rules in {@code table ip switchboard} (needs the
   * {@code nft} tool and CAP_NET_ADMIN); ports that need the proxy (appProtocol {@code http};
   * {@code kubernetes.io/h2c}, {@code h2c}, {@code grpc}, balanced per call; PROXY protocol) stay
   * in userspace.
   */
  NFTABLES
}
