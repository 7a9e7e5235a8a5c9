package dev.switchboard.lb;

import dev.switchboard.checks.Checks;
import dev.switchboard.lb.balancer.MaglevTable;
import dev.switchboard.lb.nodes.HealthOptions;
import java.time.Duration;

/**
 * What a load balancer instance needs to run.
 *
 * @param name the instance's name in the Discovery hello (and the control plane's logs)
 * @param controlPlane {@code host:port} of a control-plane replica (plaintext gRPC)
 * @param health active and passive check settings
 * @param maglevTableSize M, a prime: larger balances better and costs memory per distinct node set
 * @param connectTimeout how long a forwarded connection waits for a node before trying another
 * @param reconnectMax the cap of the Discovery reconnection backoff
 * @param resyncInterval how often listeners are re-checked against the state without a change
 *     (retries binds that failed)
 * @param ioThreads forwarder event loop threads
 */
public record LbConfig(
    String name,
    String controlPlane,
    HealthOptions health,
    int maglevTableSize,
    Duration connectTimeout,
    Duration reconnectMax,
    Duration resyncInterval,
    int ioThreads) {

  public LbConfig {
    Checks.notNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name: \"\" (expected: a non-empty instance name)");
    }
    Checks.notNull(controlPlane, "controlPlane");
    Checks.notNull(health, "health");
    MaglevTable.checkSize(maglevTableSize);
    Checks.positive(connectTimeout, "connectTimeout");
    Checks.positive(reconnectMax, "reconnectMax");
    Checks.positive(resyncInterval, "resyncInterval");
    Checks.inRange(ioThreads, 1, 1024, "ioThreads");
  }

  /** Defaults, for a control plane at {@code controlPlane}. */
  public static LbConfig of(String name, String controlPlane) {
    return new LbConfig(
        name,
        controlPlane,
        HealthOptions.DEFAULTS,
        MaglevTable.DEFAULT_SIZE,
        // Reconnect backoff capped at 1 s, as the node agent's (docs/reliability.md).
        Duration.ofSeconds(2),
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  public LbConfig withHealth(HealthOptions v) {
    return new LbConfig(
        name,
        controlPlane,
        v,
        maglevTableSize,
        connectTimeout,
        reconnectMax,
        resyncInterval,
        ioThreads);
  }

  public LbConfig withMaglevTableSize(int v) {
    return new LbConfig(
        name, controlPlane, health, v, connectTimeout, reconnectMax, resyncInterval, ioThreads);
  }

  public LbConfig withIoThreads(int v) {
    return new LbConfig(
        name,
        controlPlane,
        health,
        maglevTableSize,
        connectTimeout,
        reconnectMax,
        resyncInterval,
        v);
  }

  public LbConfig withResyncInterval(Duration v) {
    return new LbConfig(
        name, controlPlane, health, maglevTableSize, connectTimeout, reconnectMax, v, ioThreads);
  }

  public LbConfig withReconnectMax(Duration v) {
    return new LbConfig(
        name, controlPlane, health, maglevTableSize, connectTimeout, v, resyncInterval, ioThreads);
  }
}
