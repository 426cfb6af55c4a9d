package io.rrdflight.rrd;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which chunks of a scan also have their column contents read ({@link ComponentContents}) while the
 * scan holds their payload decoded whole anyway: those with a column not yet seen holding a value in
 * a chunk read so far, which are the chunks a schema reader reads next (catalog's
 * {@code RecordingSchemaReader}). For a file of a few small chunks that saves reading, decompressing
 * and parsing each chunk a second time. One scan on one thread; a chunk read for nothing is only
 * wasted work, and one not read here is read later as before.
 */
final class ContentsWanted {
  /** A scan that reads no contents. */
  static final ContentsWanted NONE = new ContentsWanted(false);

  private record Column(String entityPath, String component) {}

  private final boolean enabled;
  /** Columns seen holding a value: no chunk is read again for them. */
  private final Set<Column> settled = new HashSet<>();

  private ContentsWanted(boolean enabled) {
    this.enabled = enabled;
  }

  /** For one scan that reads the contents a schema reader would. */
  static ContentsWanted forSchema() {
    return new ContentsWanted(true);
  }

  /** Whether a chunk of {@code entityPath} whose non-null columns are {@code components} is worth reading. */
  boolean wants(String entityPath, List<ComponentDescriptor> components) {
    if (!enabled) {
      return false;
    }
    for (ComponentDescriptor d : components) {
      if (!settled.contains(new Column(entityPath, d.component()))) {
        return true;
      }
    }
    return false;
  }

  /** Notes what a chunk of {@code entityPath} was read to hold. */
  void saw(String entityPath, List<ComponentContents> contents) {
    for (ComponentContents c : contents) {
      if (c.hasNonEmptyCell()) {
        settled.add(new Column(entityPath, c.descriptor().component()));
      }
    }
  }
}
