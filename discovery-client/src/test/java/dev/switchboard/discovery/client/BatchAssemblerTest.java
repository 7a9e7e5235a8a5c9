package dev.switchboard.discovery.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.v1.DiscoveryResponse;
import dev.switchboard.v1.Kind;
import dev.switchboard.v1.Node;
import dev.switchboard.v1.ObjectMeta;
import dev.switchboard.v1.Resource;
import dev.switchboard.v1.ResourceKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BatchAssemblerTest {

  private static Resource node(String name, String address) {
    return Resource.newBuilder()
        .setNode(
            Node.newBuilder()
                .setMetadata(ObjectMeta.newBuilder().setName(name))
                .setAddress(address))
        .build();
  }

  private static ResourceKey nodeKey(String name) {
    return ResourceKey.newBuilder().setKind(Kind.NODE).setName(name).build();
  }

  @Test
  void chunksAreHeldUntilTheLastAndTheLatestStateOfEachObjectWins() {
    BatchAssembler a = new BatchAssembler();
    assertThat(
            a.add(
                DiscoveryResponse.newBuilder()
                    .setSnapshot(true)
                    .setVersion(5)
                    .setMore(true)
                    .addResources(node("n1", "127.0.1.1"))
                    .addResources(node("n2", "127.0.1.2"))
                    .build()))
        .isEmpty();
    assertThat(a.inProgress()).isTrue();
    Optional<Batch> batch =
        a.add(
            DiscoveryResponse.newBuilder()
                .setVersion(9)
                .addRemoved(nodeKey("n1"))
                .addResources(node("n2", "127.0.1.22"))
                .build());
    assertThat(batch)
        .hasValueSatisfying(
            b -> {
              assertThat(b.snapshot()).isTrue();
              assertThat(b.version()).isEqualTo(9);
              assertThat(b.resources()).containsExactly(node("n2", "127.0.1.22"));
              assertThat(b.removed())
                  .isEmpty(); // a snapshot lists what exists; removals mean nothing
            });
    assertThat(a.inProgress()).isFalse();
  }

  @Test
  void aRemovalThenReAddAcrossChunksKeepsTheObject() {
    BatchAssembler a = new BatchAssembler();
    a.add(
        DiscoveryResponse.newBuilder()
            .setVersion(3)
            .setMore(true)
            .addRemoved(nodeKey("n1"))
            .build());
    Batch b =
        a.add(
                DiscoveryResponse.newBuilder()
                    .setVersion(4)
                    .addResources(node("n1", "127.0.1.1"))
                    .build())
            .orElseThrow();
    assertThat(b.snapshot()).isFalse();
    assertThat(b.resources()).containsExactly(node("n1", "127.0.1.1"));
    assertThat(b.removed()).isEmpty();
  }

  /**
   * The assembler hands objects on serialized and parses them on each read (the agent's heap peak
   * was the parsed snapshot); a batch still reads and compares as the messages it carries.
   */
  @Test
  void aJoinedBatchReadsAsItsMessagesEveryTime() {
    BatchAssembler a = new BatchAssembler();
    a.add(
        DiscoveryResponse.newBuilder()
            .setSnapshot(true)
            .setVersion(7)
            .setMore(true)
            .addResources(node("n1", "127.0.1.1"))
            .build());
    Batch b =
        a.add(
                DiscoveryResponse.newBuilder()
                    .setVersion(7)
                    .addResources(node("n2", "127.0.1.2"))
                    .build())
            .orElseThrow();
    assertThat(b.resources()).hasSize(2);
    assertThat(b.resources().get(1)).isEqualTo(node("n2", "127.0.1.2"));
    assertThat(b.resources().get(1)).isEqualTo(b.resources().get(1));
    assertThat(b)
        .isEqualTo(
            new Batch(
                true,
                List.of(node("n1", "127.0.1.1"), node("n2", "127.0.1.2")),
                List.of(),
                7,
                Map.of()));
  }
}
