package dev.switchboard.controlplane.state;

import dev.switchboard.v1.Resource;

/**
 * A published resource that changed: {@code previous} null when it appeared, {@code current}
 * null when it went away.
 */
public record ResourceChange(ResourceId id, Resource previous, Resource current) {}
