package io.rrdflight.server;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where scripts/gen-fixtures wrote the .rrd files (real Rerun SDK output) that tests read. */
public final class Fixtures {
  private Fixtures() {}

  public static Path root() {
    String configured = System.getProperty("rrdflight.fixtures");
    Path root = configured != null ? Path.of(configured) : Path.of("fixtures").toAbsolutePath();
    if (!Files.isDirectory(root.resolve("dataset"))) {
      throw new IllegalStateException("fixtures missing at " + root + ": run scripts/gen-fixtures (scripts/test does)");
    }
    return root;
  }

  public static Path path(String relative) {
    Path p = root().resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalStateException("fixture missing: " + p + " (run scripts/gen-fixtures" + (relative.startsWith("many") ? " --many" : "") + ")");
    }
    return p;
  }
}
