package dev.switchboard.lb.client;

import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import java.util.ArrayList;
import java.util.List;

/**
 * One complete update: a single response, or every chunk of a response split with {@code more = true},
 * joined, so that half a snapshot is never applied.
 *
 * @param snapshot the resources replace everything held
 * @param resources created or changed objects
 * @param removed deleted objects (or objects that left this subscriber's view)
 * @param version the etcd revision the batch brings the subscriber to
 */
public record Batch(boolean snapshot, List<Resource> resources, List<ResourceKey> removed, long version) {

    public Batch {
        resources = List.copyOf(resources);
        removed = List.copyOf(removed);
    }

    /**
     * Joins chunks. Not thread-safe: confined to the client's executor like the stream.
     */
    static final class Assembler {
        private boolean inProgress;
        private boolean snapshot;
        private final List<Resource> resources = new ArrayList<>();
        private final List<ResourceKey> removed = new ArrayList<>();

        /** Adds a response; returns the batch when it was the last chunk, else null. */
        Batch add(DiscoveryResponse r) {
            if (!inProgress) {
                inProgress = true;
                snapshot = r.getSnapshot();
            }
            resources.addAll(r.getResourcesList());
            removed.addAll(r.getRemovedList());
            if (r.getMore()) {
                return null;
            }
            Batch b = new Batch(snapshot, resources, removed, r.getVersion());
            reset();
            return b;
        }

        boolean inProgress() {
            return inProgress;
        }

        void reset() {
            inProgress = false;
            snapshot = false;
            resources.clear();
            removed.clear();
        }
    }
}
