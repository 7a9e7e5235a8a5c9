package dev.switchboard.agent.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChangeTrackerTest {

  @Test
  void repeatedUpdatesMergeKeepingTheFirstPreviousAndTheLastCurrent() {
    ChangeTracker<String, String> t = new ChangeTracker<>();
    t.update("a", "v1", "v2");
    t.update("a", "v2", "v3");
    assertThat(t.drain())
        .containsExactly(java.util.Map.entry("a", new ChangeTracker.Change<>("v1", "v3")));
    assertThat(t.isEmpty()).isTrue();
  }

  @Test
  void aChangeBackToWhereItStartedIsDropped() {
    ChangeTracker<String, String> t = new ChangeTracker<>();
    t.update("a", null, "v1");
    t.update("a", "v1", null); // created and deleted between two syncs
    t.update("b", "v1", "v2");
    t.update("b", "v2", "v1");
    t.update("c", "same", "same");
    assertThat(t.drain()).isEmpty();
  }
}
