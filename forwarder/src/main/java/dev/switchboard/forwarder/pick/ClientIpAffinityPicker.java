package dev.switchboard.forwarder.pick;

import dev.switchboard.checks.Checks;
import dev.switchboard.forwarder.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * ClientIP session affinity: the same client IP gets the same endpoint until {@code timeout} has
 * passed since its last pick; the first pick and every re-pick go to the delegate. A pinned
 * endpoint that left the candidates (removed, not ready, terminating) or was excluded by a failed
 * connect is re-picked and the pin moves.
 *
 * <p>Not thread-safe: confined to its listener's event loop like every picker. The table is kept in
 * last-use order, so expired pins are dropped from its head at each pick (amortised O(1), no
 * timer), and it holds at most {@code maxClients} pins (least recently used goes first).
 */
public final class ClientIpAffinityPicker implements EndpointPicker {

  private static final class Pin {
    final InetSocketAddress endpoint;
    long lastUsedNanos;

    Pin(InetSocketAddress endpoint, long lastUsedNanos) {
      this.endpoint = endpoint;
      this.lastUsedNanos = lastUsedNanos;
    }
  }

  private final EndpointPicker delegate;
  private final LongSupplier nanoClock;
  private final int maxClients;
  private final LinkedHashMap<InetAddress, Pin> pins;
  private long timeoutNanos;

  public ClientIpAffinityPicker(EndpointPicker delegate, Duration timeout) {
    this(delegate, timeout, 1 << 20, System::nanoTime);
  }

  public ClientIpAffinityPicker(
      EndpointPicker delegate, Duration timeout, int maxClients, LongSupplier nanoClock) {
    this.delegate = Checks.notNull(delegate, "delegate");
    this.nanoClock = Checks.notNull(nanoClock, "nanoClock");
    this.maxClients = Checks.positive(maxClients, "maxClients");
    this.timeoutNanos = Checks.positive(timeout, "timeout").toNanos();
    this.pins =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<InetAddress, Pin> eldest) {
            return size() > ClientIpAffinityPicker.this.maxClients;
          }
        };
  }

  /** Changes the timeout for existing and future pins (a Service update may change it). */
  public void timeout(Duration timeout) {
    this.timeoutNanos = Checks.positive(timeout, "timeout").toNanos();
  }

  /** Number of pinned clients (expired pins count until the next pick sweeps them). */
  public int size() {
    return pins.size();
  }

  @Override
  public Endpoint pick(
      EndpointSet endpoints, InetSocketAddress client, Set<InetSocketAddress> excluded) {
    long now = nanoClock.getAsLong();
    expire(now);
    InetAddress ip = client.getAddress();
    Pin pin = pins.get(ip);
    if (pin != null) {
      if (now - pin.lastUsedNanos < timeoutNanos && !excluded.contains(pin.endpoint)) {
        Endpoint e = endpoints.candidate(pin.endpoint);
        if (e != null) {
          pin.lastUsedNanos = now;
          return e;
        }
      }
      pins.remove(ip);
    }
    Endpoint chosen = delegate.pick(endpoints, client, excluded);
    if (chosen != null) {
      pins.put(ip, new Pin(chosen.socketAddress(), now));
    }
    return chosen;
  }

  private void expire(long now) {
    Iterator<Pin> it = pins.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().lastUsedNanos < timeoutNanos) {
        return; // the rest was used later
      }
      it.remove();
    }
  }
}
