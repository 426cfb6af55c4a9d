package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

/**
 * One stream of a file: a file holds several when .rrd files were concatenated.
 *
 * @param offset where its stream header starts
 * @param version the Rerun version that wrote it
 * @param lz4 whether its header announces LZ4 compression
 * @param hasEnd whether it ends with an End frame (a writer that stopped early leaves none)
 * @param hasFooter whether its End frame carries an RrdFooter (Rerun 0.28 and later)
 */
public record RrdStream(long offset, CrateVersion version, boolean lz4, boolean hasEnd, boolean hasFooter) {
  public RrdStream {
    requireNonNull(version, "version is null");
  }
}
