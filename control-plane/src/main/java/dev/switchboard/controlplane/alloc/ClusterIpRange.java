package dev.switchboard.controlplane.alloc;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The service CIDR as an allocation range for ClusterIPs.
 *
 * <p>Offsets within the CIDR:
 *
 * <ul>
 *   <li>0, the network address, and the last (broadcast) address are never allocated, as in
 *       Kubernetes;
 *   <li>1, the first usable address, is reserved for the mesh itself (Kubernetes gives it to the
 *       {@code kubernetes} service), see {@link #meshAddress()};
 *   <li>the static band is for ClusterIPs that users request by hand: Kubernetes' formula gives
 *       {@code min(max(16, size/16), 256)} addresses from offset 1 (none for a /28 or smaller); as
 *       offset 1 is the mesh's, {@link #staticBandSize()} is one less;
 *   <li>the rest is the dynamic band, where automatic picks go first.
 * </ul>
 *
 * <p>The prefix must be /12 to /30: Kubernetes refuses service CIDRs larger than /12 (so that a
 * full scan stays cheap), and a /31 or /32 has nothing left after the reserved addresses.
 */
public final class ClusterIpRange {
  /** Kubernetes' limit on the size of an IPv4 service CIDR. */
  public static final int MIN_PREFIX_LENGTH = 12;

  /** The smallest CIDR that leaves one allocatable address. */
  public static final int MAX_PREFIX_LENGTH = 30;

  private static final long MESH_OFFSET = 1;
  private static final long FIRST_ALLOCATABLE = 2;

  private final Ipv4Cidr cidr;
  private final long staticEnd;

  public ClusterIpRange(Ipv4Cidr cidr) {
    if (cidr.prefixLength() < MIN_PREFIX_LENGTH || cidr.prefixLength() > MAX_PREFIX_LENGTH) {
      throw new IllegalArgumentException(
          "cidr: "
              + cidr
              + " (expected: a prefix length from /"
              + MIN_PREFIX_LENGTH
              + " to /"
              + MAX_PREFIX_LENGTH
              + ")");
    }
    this.cidr = cidr;
    // Kubernetes counts the band from the first address after the network address.
    long band = BandPicker.staticBandSize(cidr.size(), 16, 16, 256);
    this.staticEnd = Math.max(FIRST_ALLOCATABLE, MESH_OFFSET + band);
  }

  /** {@code new ClusterIpRange(Ipv4Cidr.parse(cidr))}. */
  public static ClusterIpRange parse(String cidr) {
    return new ClusterIpRange(Ipv4Cidr.parse(cidr));
  }

  public Ipv4Cidr cidr() {
    return cidr;
  }

  /** The first usable address, reserved for the mesh's own service and never handed out. */
  public String meshAddress() {
    return cidr.addressStringAt(MESH_OFFSET);
  }

  /** How many addresses can be allocated to services. */
  public long allocatableCount() {
    return lastAllocatable() - FIRST_ALLOCATABLE + 1;
  }

  /** How many allocatable addresses lie in the static band (possibly 0 for small CIDRs). */
  public long staticBandSize() {
    return staticEnd - FIRST_ALLOCATABLE;
  }

  /** Whether {@code ip} is inside the CIDR at all (network, broadcast and mesh included). */
  public boolean contains(String ip) {
    return cidr.contains(ip);
  }

  /** Whether {@code ip} is one that network/broadcast rules still allow (mesh included). */
  public boolean isInValidRange(String ip) {
    OptionalLong address = Ipv4.parse(ip);
    if (address.isEmpty() || !cidr.contains(address.getAsLong())) {
      return false;
    }
    long offset = cidr.offsetOf(address.getAsLong());
    return offset >= MESH_OFFSET && offset <= lastAllocatable();
  }

  /** Whether {@code ip} is the address reserved for the mesh. */
  public boolean isMeshAddress(String ip) {
    return meshAddress().equals(ip);
  }

  /**
   * Whether a service may be given {@code ip}: in range, and neither network, broadcast nor mesh.
   */
  public boolean isAllocatable(String ip) {
    return isInValidRange(ip) && !isMeshAddress(ip);
  }

  /** Whether {@code ip} is an allocatable address of the static band. */
  public boolean isInStaticBand(String ip) {
    if (!isAllocatable(ip)) {
      return false;
    }
    return cidr.offsetOf(ip) < staticEnd;
  }

  /**
   * A free address: from the dynamic band while it has room, else from the static band; empty when
   * every allocatable address is used.
   *
   * @param isUsed whether an address (dotted-quad) is already allocated
   */
  public Optional<String> pick(Predicate<String> isUsed, Random random) {
    OptionalLong offset =
        BandPicker.pick(
            FIRST_ALLOCATABLE,
            staticEnd,
            lastAllocatable(),
            o -> isUsed.test(cidr.addressStringAt(o)),
            random);
    return offset.isPresent()
        ? Optional.of(cidr.addressStringAt(offset.getAsLong()))
        : Optional.empty();
  }

  private long lastAllocatable() {
    return cidr.size() - 2;
  }

  /** Kubernetes' description of the range in its "not in the valid range" message: the CIDR. */
  @Override
  public String toString() {
    return cidr.toString();
  }
}
