package dev.switchboard.controlplane.store;

/** The revision asked for was compacted away: relist at the current revision, then resume. */
public final class CompactedException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final long compactRevision;

  public CompactedException(long requestedRevision, long compactRevision) {
    super(
        "revision "
            + requestedRevision
            + " was compacted (compact revision "
            + compactRevision
            + ")",
        null);
    this.compactRevision = compactRevision;
  }

  public long compactRevision() {
    return compactRevision;
  }
}
