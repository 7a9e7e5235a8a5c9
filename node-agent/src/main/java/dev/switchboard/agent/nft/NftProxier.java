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
 * service ({@link DataPath#KERNEL} listeners). Each sync renders the whole table and, when the
 * text changed, replaces it in one {@code nft -f -} transaction (add, delete and define the table
 * in one batch): the kernel applies all of it or nothing, so a failed batch leaves the previous
 * table working, and nft's own error line goes into the NACK. Incremental updates (only the
 * changed services' chains) are not done yet.
 *
 * <p>Not thread-safe: confined to the agent's executor, like the userspace {@code Proxier}.
 */
public final class NftProxier {
  private static final Logger log = LoggerFactory.getLogger(NftProxier.class);

  private final Nft nft;
  /** The kernel listeners of each service that has some. */
  private final Map<ServiceName, List<ListenerPlan>> kernelListeners = new TreeMap<>();
  /** The batch the kernel holds now; null when unknown (nothing applied yet, or the last failed). */
  private String appliedBatch;
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
    String batch = NftRuleset.replaceBatch(rendered);
    if (!batch.equals(appliedBatch)) {
      long started = System.nanoTime();
      String error = nft.apply(batch);
      if (error.isEmpty()) {
        appliedBatch = batch;
        programmedPorts = rendered.ports();
        if (!failure.isEmpty()) {
          log.info("table ip {} programmed after earlier failures", NftRuleset.TABLE);
        }
        failure = "";
        log.debug("table ip {}: {} ports, {} bytes, applied in {} us", NftRuleset.TABLE,
            rendered.ports(), batch.length(), (System.nanoTime() - started) / 1000);
      } else {
        appliedBatch = null; // try again at the next sync, even if nothing changes
        String next = "nftables: table ip " + NftRuleset.TABLE + " not updated (the previous rules stay): " + error;
        if (!next.equals(failure)) {
          log.warn("{}", next);
        }
        failure = next;
      }
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
    appliedBatch = null;
    programmedPorts = 0;
    return nft.apply(NftRuleset.deleteBatch());
  }
}
