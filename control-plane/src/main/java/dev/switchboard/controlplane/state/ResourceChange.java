package dev.switchboard.controlplane.state;

import dev.switchboard.v1.ChangeOrigin;
import dev.switchboard.v1.Resource;

/**
 * A published resource that changed: {@code previous} null when it appeared, {@code current} null
 * when it went away. {@code origin} is the write that caused it (its time and trace), null when
 * unknown (a relist, a write made without telemetry).
 */
public record ResourceChange(
    ResourceId id, Resource previous, Resource current, ChangeOrigin origin) {
  public ResourceChange(ResourceId id, Resource previous, Resource current) {
    this(id, previous, current, null);
  }
}
