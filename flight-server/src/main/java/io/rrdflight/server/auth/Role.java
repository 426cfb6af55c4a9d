package io.rrdflight.server.auth;

import java.util.Locale;

/**
 * What a caller may do. Each role includes the ones before it: a reader queries and lists; a writer
 * also registers recordings, creates datasets and writes tables; an admin also deletes, renames and
 * unregisters.
 */
public enum Role {
  READER,
  WRITER,
  ADMIN;

  /** True when this role may make a call that needs {@code needed}. */
  public boolean includes(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The name used on the command line, in tokens and in logs: {@code reader}, {@code writer}, {@code admin}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a {@link #label()}; throws {@link IllegalArgumentException} naming the accepted values. */
  public static Role parse(String label) {
    for (Role role : values()) {
      if (role.label().equalsIgnoreCase(label.trim())) {
        return role;
      }
    }
    throw new IllegalArgumentException("unknown role '" + label + "': use reader, writer or admin");
  }
}
