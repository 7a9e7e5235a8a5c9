package dev.switchboard.agent.proxier;

import dev.switchboard.v1.ProxyNeeds;

/**
 * Where a listener's traffic is forwarded when the agent runs in nftables mode. A pure function of
 * the plan, so every agent and every reader (status pages, docs) agrees on it.
 *
 * <p>The kernel rewrites addresses only: it cannot read HTTP (per-request spans and {@code
 * traceparent} for appProtocol {@code http}) nor strip a PROXY protocol header, and it balances
 * connections, not the calls multiplexed on one (appProtocol {@code h2c}/{@code grpc}): ports that
 * need any of that stay in the userspace forwarder.
 */
public enum DataPath {
  /** The Netty forwarder in the agent's JVM. */
  USERSPACE("userspace"),
  /** nftables rules: DNAT in the kernel, no agent CPU per connection. */
  KERNEL("nftables");

  private final String display;

  DataPath(String display) {
    this.display = display;
  }

  /** The path for {@code plan} when the kernel data path is on. */
  public static DataPath of(ListenerPlan plan) {
    return plan.http() || plan.h2() || plan.acceptProxyHeader() ? USERSPACE : KERNEL;
  }

  /**
   * Why {@code plan} needs the proxy ("appProtocol http", "PROXY protocol (…)"); "" when it does
   * not.
   */
  public static String reason(ListenerPlan plan) {
    return plan.h2()
        ? ProxyNeeds.H2_REASON
        : ProxyNeeds.reason(plan.http(), plan.acceptProxyHeader());
  }

  @Override
  public String toString() {
    return display;
  }
}
