package dev.switchboard.agent.nft;

import dev.switchboard.agent.proxier.DataPath;
import dev.switchboard.agent.proxier.ListenerPlan;
import dev.switchboard.agent.proxier.ServicePlan;
import dev.switchboard.agent.state.ServiceName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel data path: keeps {@code table ip switchboard} equal to the kernel's share of every
 * service ({@link DataPath#KERNEL} listeners). Each sync renders the whole table and writes it
 * in one {@code nft -f -} transaction: the kernel applies all of it or nothing, so a failed batch
 * leaves the previous table working, and nft's own error line goes into the NACK. The first
 * batch (and any after a failure) replaces the table; later ones flush and rewrite rules and map
 * entries in place and delete only what went away ({@link NftRuleset#updateBatch}), so ClientIP
 * affinity entries survive syncs. A sync without changes (the periodic resync) rewrites the table
 * too, which repairs someone's edits. Not yet incremental: every batch carries every service.
 *
 * <p>Not thread-safe: confined to the agent's executor, like the userspace {@code Proxier}.
 */
public final class NftProxier {
  private static final Logger log = LoggerFactory.getLogger(NftProxier.class);

  private final Nft nft;
  /** The kernel listeners of each service that has some. */
  private final Map<ServiceName, List<ListenerPlan>> kernelListeners = new TreeMap<>();
  /** What the kernel holds now; null when unknown (nothing applied yet, or the last batch failed). */
  private NftRuleset.Rendered applied;
  /** Why the last batch was refused; "" when it was applied. */
  private String failure = "";
  private List<String> renderErrors = List.of();
  private int programmedPorts;

  public NftProxier(Nft nft) {
    this.nft = nft;
  }

  /**
   * Applies the plans of the services that changed ({@link ServicePlan#NONE} for a deleted one);
   * their userspace listeners are ignored here.
   *
   * @return what is not programmed, one line per problem, sorted; empty when all is well
   */
  public List<String> sync(Map<ServiceName, ServicePlan> changed) {
    changed.forEach((name, plan) -> {
      List<ListenerPlan> kernel = plan.listeners().stream()
          .filter(l -> DataPath.of(l) == DataPath.KERNEL).toList();
      if (kernel.isEmpty()) {
        kernelListeners.remove(name);
      } else {
        kernelListeners.put(name, kernel);
      }
    });
    List<ListenerPlan> all = new ArrayList<>();
    kernelListeners.values().forEach(all::addAll);
    NftRuleset.Rendered rendered = NftRuleset.render(all);
    renderErrors = rendered.errors();
    if (applied != null && applied.table().equals(rendered.table()) && !changed.isEmpty()) {
      return errors(); // services changed in ways the kernel does not see (e.g. only http ports)
    }
    // A sync without changes (the periodic resync) writes the table again: it repairs drift.
    long started = System.nanoTime();
    String error;
    if (applied == null) {
      error = nft.apply(NftRuleset.replaceBatch(rendered));
    } else {
      error = nft.apply(NftRuleset.updateBatch(applied, rendered));
      if (!error.isEmpty()) {
        // The table is not as this agent left it (deleted or edited by hand): replace it whole.
        log.warn("table ip {} differs from what this agent wrote ({}); replacing it", NftRuleset.TABLE, error);
        error = nft.apply(NftRuleset.replaceBatch(rendered));
      }
    }
    if (error.isEmpty()) {
      applied = rendered;
      programmedPorts = rendered.ports();
      if (!failure.isEmpty()) {
        log.info("table ip {} programmed after earlier failures", NftRuleset.TABLE);
      }
      failure = "";
      log.debug("table ip {}: {} ports, {} bytes, applied in {} us", NftRuleset.TABLE,
          rendered.ports(), rendered.table().length(), (System.nanoTime() - started) / 1000);
    } else {
      applied = null; // unknown: the next sync replaces the table whole
      String next = "nftables: table ip " + NftRuleset.TABLE + " not updated (the previous rules stay): " + error;
      if (!next.equals(failure)) {
        log.warn("{}", next);
      }
      failure = next;
    }
    return errors();
  }

  /** Everything not programmed, sorted. */
  public List<String> errors() {
    TreeSet<String> all = new TreeSet<>(renderErrors);
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
    applied = null;
    programmedPorts = 0;
    return nft.apply(NftRuleset.deleteBatch());
  }
}
