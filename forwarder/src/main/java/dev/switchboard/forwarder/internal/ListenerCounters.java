package dev.switchboard.forwarder.internal;

import dev.switchboard.forwarder.ListenerStats;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A listener's counters. Its connections run on every event loop and a metrics thread reads them,
 * so these are the one piece of listener state that is shared rather than confined: adders, which
 * cost an uncontended add on the hot path.
 */
public final class ListenerCounters {
  /**
   * Open connections (TCP) or flows (UDP). TCP: incremented only on the listener's loop (the accept
   * gate, which checks the limit first), decremented on any loop, so the check cannot overshoot.
   */
  public final AtomicInteger active = new AtomicInteger();

  public final LongAdder total = new LongAdder();
  public final LongAdder bytesIn = new LongAdder();
  public final LongAdder bytesOut = new LongAdder();
  public final LongAdder connectFailures = new LongAdder();
  public final LongAdder connectRetries = new LongAdder();
  public final LongAdder rejectedOverLimit = new LongAdder();
  public final LongAdder noEndpoint = new LongAdder();
  public final LongAdder droppedDatagrams = new LongAdder();

  public ListenerStats snapshot() {
    return new ListenerStats(
        active.get(),
        total.sum(),
        bytesIn.sum(),
        bytesOut.sum(),
        connectFailures.sum(),
        connectRetries.sum(),
        rejectedOverLimit.sum(),
        noEndpoint.sum(),
        droppedDatagrams.sum());
  }
}
