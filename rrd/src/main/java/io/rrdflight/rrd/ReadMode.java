package io.rrdflight.rrd;

/** What a reader does when it meets damaged bytes. */
public enum ReadMode {
  /** Throw a {@link RrdFormatException} at the first damage. */
  STRICT,
  /**
   * Stop at the first damage, keep everything complete that came before it, and report where reading
   * stopped instead of throwing. For recovering what is left of a file whose writer crashed.
   */
  SALVAGE
}
