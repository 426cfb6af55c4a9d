package io.rrdflight.rrd;

/**
 * The version of the Rerun crate that wrote a stream, as four bytes: major, minor, patch and a meta
 * byte. The meta byte's top two bits say release (00), {@code -rc.N} (01), {@code -alpha.N} (10) or
 * {@code -alpha.N+dev} (11); its low six bits are N.
 */
public record CrateVersion(int major, int minor, int patch, int meta) implements Comparable<CrateVersion> {

  /** The oldest version whose streams we can read; older chunk layouts are not supported. */
  public static final CrateVersion OLDEST_READABLE = new CrateVersion(0, 23, 0, 0);

  public CrateVersion {
    if (major < 0 || major > 255 || minor < 0 || minor > 255 || patch < 0 || patch > 255 || meta < 0 || meta > 255) {
      throw new IllegalArgumentException("version bytes out of range: " + major + "." + minor + "." + patch + " meta " + meta);
    }
  }

  /** Decodes the four version bytes of a stream header. All zeros is how Rerun 0.2 wrote it. */
  public static CrateVersion fromBytes(byte major, byte minor, byte patch, byte meta) {
    if (major == 0 && minor == 0 && patch == 0 && meta == 0) {
      return new CrateVersion(0, 2, 0, 0);
    }
    return new CrateVersion(major & 0xFF, minor & 0xFF, patch & 0xFF, meta & 0xFF);
  }

  /** Decodes {@code StoreVersion.crate_version_bits}: the same four bytes as a little-endian int. */
  public static CrateVersion fromBits(int bits) {
    return fromBytes((byte) bits, (byte) (bits >>> 8), (byte) (bits >>> 16), (byte) (bits >>> 24));
  }

  /** The four bytes as a little-endian int, as {@code StoreVersion.crate_version_bits} holds them. */
  public int toBits() {
    return major | minor << 8 | patch << 16 | meta << 24;
  }

  public boolean isOlderThan(CrateVersion other) {
    return compareTo(other) < 0;
  }

  @Override
  public int compareTo(CrateVersion other) {
    int c = Integer.compare(major, other.major);
    if (c == 0) {
      c = Integer.compare(minor, other.minor);
    }
    if (c == 0) {
      c = Integer.compare(patch, other.patch);
    }
    if (c == 0) {
      // A release sorts after its pre-releases.
      c = Integer.compare(meta == 0 ? Integer.MAX_VALUE : meta, other.meta == 0 ? Integer.MAX_VALUE : other.meta);
    }
    return c;
  }

  @Override
  public String toString() {
    String base = major + "." + minor + "." + patch;
    int n = meta & 0b0011_1111;
    return switch (meta >>> 6) {
      case 0b00 -> base;
      case 0b01 -> base + "-rc." + n;
      case 0b10 -> base + "-alpha." + n;
      default -> base + "-alpha." + n + "+dev";
    };
  }
}
