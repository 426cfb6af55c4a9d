package io.rrdflight.catalog;

/**
 * Which recordings get a compacted copy ({@link Compactions}): those of at least {@code minChunks}
 * chunks of fewer than {@code maxMeanRows} rows on average. The server's
 * {@code --compact-small-chunks off|auto|MIN_CHUNKS:MAX_MEAN_ROWS} chooses it.
 */
public record CompactionPolicy(long minChunks, long maxMeanRows) {
  /** rerun-sdk 0.27.3's {@code df()} slows down markedly from about a thousand small chunks per recording. */
  public static final CompactionPolicy AUTO = new CompactionPolicy(1000, 32);
  /** No copies are made; copies made earlier are still served. */
  public static final CompactionPolicy OFF = new CompactionPolicy(Long.MAX_VALUE, 0);

  public CompactionPolicy {
    if (minChunks < 1 || maxMeanRows < 0) {
      throw new IllegalArgumentException("chunks must be at least 1 and rows at least 0: " + minChunks + ":" + maxMeanRows);
    }
  }

  /**
   * {@code off}, {@code auto} ({@link #AUTO}), or {@code MIN_CHUNKS:MAX_MEAN_ROWS}; an
   * IllegalArgumentException names what is wrong.
   */
  public static CompactionPolicy parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("off")) {
      return OFF;
    }
    if (t.equals("auto")) {
      return AUTO;
    }
    String[] parts = t.split(":", -1);
    try {
      if (parts.length == 2) {
        return new CompactionPolicy(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
      }
    } catch (NumberFormatException e) {
      // the message below says what is expected
    }
    throw new IllegalArgumentException("expected off, auto or MIN_CHUNKS:MAX_MEAN_ROWS (e.g. 1000:32), got '" + text + "'");
  }

  public boolean isOff() {
    return maxMeanRows == 0;
  }

  boolean wants(Partition p) {
    return !isOff() && p.chunkCount() >= minChunks && p.rowCount() < maxMeanRows * p.chunkCount();
  }

  @Override
  public String toString() {
    return isOff() ? "off" : equals(AUTO) ? "auto (" + minChunks + ":" + maxMeanRows + ")" : minChunks + ":" + maxMeanRows;
  }
}
