package dev.switchboard.lb.balancer;

import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.pick.EndpointPicker;
import dev.switchboard.forwarder.pick.EndpointSet;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The endpoint picker of a load balancer listener: source ranges first, then {@link MaglevSelector}
 * over the listener's endpoints, which are the nodes' NodePorts named by node ({@link
 * Endpoint#nodeName()}). Every known node is in the set, usable or not ({@link EndpointSet#all()}
 * is the membership tier, its candidates the usable tier).
 *
 * <p>A client outside the source ranges gets null: the forwarder then resets the TCP connection, or
 * drops the UDP datagram, before any node is contacted. A pick with {@code excluded} addresses is a
 * retry after they failed to connect: they are reported to {@link PassiveHealth}.
 *
 * <p>Concurrency: {@link #pick} runs on the listener's event loop only, so the selector cached per
 * endpoint set is plain state; the source ranges are set by the balancer's thread, hence volatile.
 */
public final class MaglevPicker implements EndpointPicker {
  private final MaglevTables tables;
  private final PassiveHealth passive;
  private final LongAdder refused = new LongAdder();
  private volatile SourceRanges ranges;

  /** Confined to the listener's loop: the selector for {@link #cachedFor}. */
  private EndpointSet cachedFor;

  private MaglevSelector selector;
  private Map<String, Endpoint> byName;

  public MaglevPicker(MaglevTables tables, SourceRanges ranges, PassiveHealth passive) {
    this.tables = tables;
    this.ranges = ranges;
    this.passive = passive;
  }

  /** Applies to connections accepted from now on. Any thread. */
  public void sourceRanges(SourceRanges newRanges) {
    this.ranges = newRanges;
  }

  /** Clients refused by the source ranges so far. */
  public long refused() {
    return refused.sum();
  }

  @Override
  public Endpoint pick(
      EndpointSet endpoints, InetSocketAddress client, Set<InetSocketAddress> excluded) {
    if (excluded.isEmpty() && !ranges.allows(client.getAddress())) {
      refused.increment();
      return null;
    }
    if (endpoints != cachedFor) {
      cache(endpoints);
    }
    if (excluded.isEmpty()) {
      return byName.get(selector.select(client.getAddress()));
    }
    Set<String> excludedNames = new HashSet<>();
    for (InetSocketAddress a : excluded) {
      Endpoint e = endpoints.find(a);
      String node = e == null ? a.toString() : nameOf(e);
      excludedNames.add(node);
      passive.connectFailed(node, a);
    }
    String next = selector.selectExcluding(client.getAddress(), excludedNames);
    return next == null ? null : byName.get(next);
  }

  private void cache(EndpointSet endpoints) {
    List<String> members = new ArrayList<>(endpoints.all().size());
    for (Endpoint e : endpoints.all()) {
      members.add(nameOf(e));
    }
    Map<String, Endpoint> usable = new HashMap<>();
    for (Endpoint e : endpoints.candidates()) {
      usable.put(nameOf(e), e);
    }
    selector = MaglevSelector.of(members, usable.keySet(), tables);
    byName = usable;
    cachedFor = endpoints;
  }

  /**
   * The node's name; an endpoint without one (not made by the balancer) is named by its address.
   */
  private static String nameOf(Endpoint e) {
    return e.nodeName().orElseGet(() -> e.socketAddress().toString());
  }
}
