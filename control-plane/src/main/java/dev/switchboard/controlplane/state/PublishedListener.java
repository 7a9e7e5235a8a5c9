package dev.switchboard.controlplane.state;

import java.util.List;

/** Sees every change of the published state, on the cache thread, in version order. */
public interface PublishedListener {
  void onPublished(List<ResourceChange> changes, long version);
}
