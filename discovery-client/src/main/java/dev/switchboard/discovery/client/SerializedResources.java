package dev.switchboard.discovery.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.switchboard.v1.Resource;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * An immutable list of resources held serialized and parsed on each {@link #get}: what a batch
 * joined from many chunks carries. Parsed, a 10,000-service snapshot is ~3 times its wire size
 * (strings, maps, message objects); held whole until it was applied, that was the peak of a node
 * agent's heap at start-up. Readers go through a batch once, so each element lives parsed only
 * while it is being applied.
 */
final class SerializedResources extends AbstractList<Resource> implements RandomAccess {
  private final byte[][] resources;

  private SerializedResources(byte[][] resources) {
    this.resources = resources;
  }

  /** Takes the list: its arrays must be serialized {@link Resource}s and never change. */
  static List<Resource> of(List<byte[]> serialized) {
    return new SerializedResources(serialized.toArray(new byte[0][]));
  }

  @Override
  public Resource get(int index) {
    try {
      return Resource.parseFrom(resources[index]);
    } catch (InvalidProtocolBufferException e) {
      // Only this module's assembler builds the list, from messages it serialized itself.
      throw new IllegalStateException("resource " + index + " of a batch does not parse", e);
    }
  }

  @Override
  public int size() {
    return resources.length;
  }
}
