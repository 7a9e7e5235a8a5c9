package dev.switchboard.controlplane.registry;

import dev.switchboard.controlplane.alloc.ClusterIpRange;
import dev.switchboard.controlplane.alloc.LbIpPools;
import dev.switchboard.controlplane.alloc.PortRange;
import java.util.Random;

/** The ranges a replica allocates from, and the randomness it picks with (seedable in tests). */
public record AllocationRanges(
    ClusterIpRange clusterIps, PortRange nodePorts, LbIpPools lbPools, Random random) {}
