package dev.switchboard.agent.nft;

import dev.switchboard.agent.proxier.DataPath;
import dev.switchboard.agent.proxier.ListenerKey;
import dev.switchboard.agent.proxier.ListenerPlan;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.discovery.client.ServiceName;
import dev.switchboard.forwarder.Endpoint;
import dev.switchboard.forwarder.Protocol;
import dev.switchboard.forwarder.pick.EndpointSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel data path: keeps {@code table ip switchboard} equal to the kernel's share of every
 * service ({@link DataPath#KERNEL} listeners). Each sync renders only the services that changed and
 * writes what it needs in one {@code nft -f -} transaction: the kernel applies all of it or
 * nothing, so a failed batch leaves the previous table working, and nft's own error line goes into
 * the NACK. The first batch (and any after a failure) replaces the table. A sync with changes
 * writes only the services whose share of the table changed ({@link NftBatch#incremental}): their
 * map entries, chains and affinity sets; the rest, ClientIP affinity entries included, is left
 * alone. A sync without changes (the periodic resync) only checks that the table is there; when it
 * is gone (someone ran {@code nft flush ruleset}), or an incremental batch fails because the table
 * is not what this agent wrote, the same sync replaces the table whole. Edits inside the table that
 * leave it in place are not noticed. After a batch that removed UDP endpoints, their conntrack
 * flows are deleted ({@link Conntrack}).
 *
 * <p>Not thread-safe: confined to the agent's executor, like the userspace {@code Proxier}.
 */
public final class NftProxier {
  private static final Logger log = LoggerFactory.getLogger(NftProxier.class);

  /** UDP flows DNATed to an endpoint that is no longer a candidate, to forget after a sync. */
  private record StaleFlows(Optional<String> serviceIp, int port, String endpointIp) {}

  private final Nft nft;
  private final Conntrack conntrack;

  /** The kernel listeners of each service that has some. */
  private final Map<ServiceName, List<ListenerPlan>> kernelListeners = new HashMap<>();

  /** Each service's share as rendered, before conflicts between services are settled. */
  private final Map<ServiceName, NftRuleset.Fragment> rendered = new HashMap<>();

  private final NftClaims claims = new NftClaims();

  /**
   * Services per endpoint address in {@link #wanted}: its {@code @hairpin} entry lives while any
   * has it.
   */
  private final Map<String, Integer> hairpinRefs = new HashMap<>();

  /**
   * Ports per per-count set in {@link #wanted} (see {@link NftRuleset#IPS_MOD}): the set, and its
   * rule, live while any port has that many endpoints.
   */
  private final Map<String, Integer> modSetRefs = new HashMap<>();

  /** Each service's share as wanted in the kernel (conflicts settled). */
  private final Map<ServiceName, NftRuleset.Fragment> wanted = new TreeMap<>();

  /** What rendering could not program, per service; only non-empty lists. */
  private final Map<ServiceName, List<String>> renderErrors = new HashMap<>();

  /** Entries a service lost to another claiming them too, per service; only non-empty lists. */
  private final Map<ServiceName, List<String>> conflicts = new HashMap<>();

  /**
   * True when the kernel holds exactly {@link #wanted}; false before the first batch and after a
   * failure.
   */
  private boolean inSync;

  /** Why the last batch was refused; "" when it was applied. */
  private String failure = "";

  /** Map entries in {@link #wanted}. */
  private int wantedPorts;

  private int programmedPorts;

  public NftProxier(Nft nft) {
    this(nft, (serviceIp, port, endpointIp) -> "");
  }

  /**
   * @param conntrack forgets UDP flows of endpoints that went away
   */
  public NftProxier(Nft nft, Conntrack conntrack) {
    this.nft = nft;
    this.conntrack = conntrack;
  }

  /**
   * Applies the plans of the services that changed ({@link ServicePlan#NONE} for a deleted one);
   * their userspace listeners are ignored here. Renders only those services (and any whose entries
   * a change hands over, which happens only in conflicts).
   *
   * @return what is not programmed, one line per problem, sorted; empty when all is well
   */
  public List<String> sync(Map<ServiceName, ServicePlan> changed) {
    List<StaleFlows> stale = new ArrayList<>();
    Set<ServiceName> affected = new HashSet<>();
    changed.forEach(
        (name, plan) -> {
          List<ListenerPlan> kernel =
              plan.listeners().stream().filter(l -> DataPath.of(l) == DataPath.KERNEL).toList();
          stale.addAll(staleUdpFlows(kernelListeners.getOrDefault(name, List.of()), kernel));
          List<String> errors = new ArrayList<>();
          NftRuleset.Fragment next = null;
          if (kernel.isEmpty()) {
            kernelListeners.remove(name);
          } else {
            kernelListeners.put(name, kernel);
            next = NftRuleset.renderService(name, kernel, errors);
          }
          NftRuleset.Fragment previous =
              next == null ? rendered.remove(name) : rendered.put(name, next);
          affected.addAll(claims.update(name, previous, next));
          renderErrors.remove(name);
          if (!errors.isEmpty()) {
            renderErrors.put(name, errors);
          }
        });
    Map<ServiceName, NftRuleset.Fragment> before = new HashMap<>();
    Set<String> modSetsBefore = new TreeSet<>(NftRuleset.MOD_SET_ORDER);
    modSetsBefore.addAll(modSetRefs.keySet());
    Set<String> hairpinAdded = new TreeSet<>();
    Set<String> hairpinRemoved = new TreeSet<>();
    for (ServiceName name : affected) {
      NftRuleset.Fragment old = wanted.get(name);
      if (old != null) {
        before.put(name, old);
        wantedPorts -= old.ports();
        old.modSets()
            .forEach(
                set -> {
                  if (modSetRefs.merge(set, -1, Integer::sum) == 0) {
                    modSetRefs.remove(set);
                  }
                });
        old.endpointIps()
            .forEach(
                ip -> {
                  if (hairpinRefs.merge(ip, -1, Integer::sum) == 0) {
                    hairpinRefs.remove(ip);
                    hairpinRemoved.add(NftTable.hairpin(ip));
                  }
                });
      }
      conflicts.remove(name);
      NftRuleset.Fragment raw = rendered.get(name);
      if (raw == null) {
        wanted.remove(name);
        continue;
      }
      List<String> lost = new ArrayList<>();
      NftRuleset.Fragment settled = claims.effective(name, raw, lost);
      wanted.put(name, settled);
      wantedPorts += settled.ports();
      settled.modSets().forEach(set -> modSetRefs.merge(set, 1, Integer::sum));
      settled
          .endpointIps()
          .forEach(
              ip -> {
                if (hairpinRefs.merge(ip, 1, Integer::sum) == 1) {
                  hairpinAdded.add(NftTable.hairpin(ip));
                }
              });
      if (!lost.isEmpty()) {
        conflicts.put(name, lost);
      }
    }

    long started = System.nanoTime();
    String error;
    if (!inSync) {
      error = nft.apply(NftBatch.replace(NftTable.table(wanted)));
    } else {
      // Only the services whose share of the table changed are written. A sync without changes
      // (the periodic resync) checks that the table is still there: a full rewrite costs tens
      // of seconds of kernel time at a few thousand services (docs/architecture.md).
      // An address that left one service and joined another in this sync stays in the set.
      Set<String> moved = new TreeSet<>(hairpinAdded);
      moved.retainAll(hairpinRemoved);
      hairpinAdded.removeAll(moved);
      hairpinRemoved.removeAll(moved);
      String batch =
          changed.isEmpty()
              ? NftBatch.probe()
              : NftBatch.incremental(
                  before,
                  wanted,
                  affected,
                  hairpinAdded,
                  hairpinRemoved,
                  modSetsBefore,
                  sortedModSets());
      if (batch.isEmpty()) {
        return errors(); // services changed in ways the kernel does not see (e.g. only http ports)
      }
      error = nft.apply(batch);
      if (!error.isEmpty()) {
        // The table is not as this agent left it (deleted or edited by hand): replace it whole.
        // (A lost table also drops ClientIP affinity entries; nothing can bring them back.)
        log.warn(
            "table ip {} differs from what this agent wrote ({}); replacing it",
            NftRuleset.TABLE,
            error);
        error = nft.apply(NftBatch.replace(NftTable.table(wanted)));
      }
    }
    if (error.isEmpty()) {
      for (StaleFlows flows : stale) {
        String failed =
            conntrack.deleteUdpFlows(flows.serviceIp(), flows.port(), flows.endpointIp());
        if (!failed.isEmpty()) {
          log.warn("stale UDP flows to {} stay until they expire: {}", flows.endpointIp(), failed);
        }
      }
      inSync = true;
      programmedPorts = wantedPorts;
      if (!failure.isEmpty()) {
        log.info("table ip {} programmed after earlier failures", NftRuleset.TABLE);
      }
      failure = "";
      log.debug(
          "table ip {}: {} services changed, {} ports, applied in {} us",
          NftRuleset.TABLE,
          affected.size(),
          wantedPorts,
          (System.nanoTime() - started) / 1000);
    } else {
      inSync = false; // unknown: the next sync replaces the table whole
      String next =
          "nftables: table ip "
              + NftRuleset.TABLE
              + " not updated (the previous rules stay): "
              + error;
      if (!next.equals(failure)) {
        log.warn("{}", next);
      }
      failure = next;
    }
    return errors();
  }

  private Set<String> sortedModSets() {
    Set<String> sets = new TreeSet<>(NftRuleset.MOD_SET_ORDER);
    sets.addAll(modSetRefs.keySet());
    return sets;
  }

  /** UDP endpoints {@code before} sent new flows to and {@code after} does not, per port. */
  private static List<StaleFlows> staleUdpFlows(
      List<ListenerPlan> before, List<ListenerPlan> after) {
    Map<ListenerKey, Set<String>> kept = new HashMap<>();
    for (ListenerPlan l : after) {
      if (l.key().protocol() == Protocol.UDP) {
        kept.put(l.key(), candidateIps(l));
      }
    }
    List<StaleFlows> out = new ArrayList<>();
    for (ListenerPlan l : before) {
      if (l.key().protocol() != Protocol.UDP) {
        continue;
      }
      Set<String> gone = candidateIps(l);
      gone.removeAll(kept.getOrDefault(l.key(), Set.of()));
      Optional<String> serviceIp =
          l.kind() == ListenerPlan.Kind.NODE_PORT
              ? Optional.empty()
              : Optional.of(l.key().address().getHostAddress());
      gone.stream().sorted().forEach(ip -> out.add(new StaleFlows(serviceIp, l.key().port(), ip)));
    }
    return out;
  }

  private static Set<String> candidateIps(ListenerPlan l) {
    Set<String> ips = new HashSet<>();
    for (Endpoint e : new EndpointSet(l.target().endpoints()).candidates()) {
      ips.add(e.ip().getHostAddress());
    }
    return ips;
  }

  /** Everything not programmed, sorted. */
  public List<String> errors() {
    TreeSet<String> all = new TreeSet<>();
    renderErrors.values().forEach(all::addAll);
    conflicts.values().forEach(all::addAll);
    if (!failure.isEmpty()) {
      all.add(failure);
    }
    return List.copyOf(all);
  }

  /** Service ports (ClusterIP and NodePort entries) in the table the kernel holds now. */
  public int programmedPorts() {
    return programmedPorts;
  }

  /**
   * Removes the table and everything in it (the agent's {@code --cleanup}); a table that is not
   * there is no error. Connections already translated keep flowing (conntrack holds them).
   *
   * @return "" when no table is left; otherwise nft's error line
   */
  public String cleanup() {
    inSync = false;
    programmedPorts = 0;
    return nft.apply(NftBatch.delete());
  }
}
