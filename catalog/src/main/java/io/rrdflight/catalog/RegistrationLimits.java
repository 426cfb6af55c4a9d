package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * What clients may register: files under {@code allowedRoots} only, and prefixes whose walk meets
 * at most {@code maxPrefixEntries} files and directories.
 */
public record RegistrationLimits(AllowedRoots allowedRoots, int maxPrefixEntries) {
  /** Anything the server can read, any prefix: for tools and tests that open a catalog directly. */
  public static final RegistrationLimits UNRESTRICTED = new RegistrationLimits(AllowedRoots.any(), Integer.MAX_VALUE);

  public RegistrationLimits {
    requireNonNull(allowedRoots, "allowedRoots is null");
    if (maxPrefixEntries <= 0) {
      throw new IllegalArgumentException("maxPrefixEntries must be positive: " + maxPrefixEntries);
    }
  }
}
