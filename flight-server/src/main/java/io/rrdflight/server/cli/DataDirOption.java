package io.rrdflight.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --data-dir}, shared by every command that reads or writes a data dir, with one default. */
final class DataDirOption {
  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where rrdflight keeps its catalog, chunk indexes, server key and tokens (default: $RRDFLIGHT_DATA_DIR, "
          + "else $XDG_DATA_HOME/rrdflight, else ~/.local/share/rrdflight).")
  Path dataDir;

  /** The directory given, or the default, absolute. */
  Path resolve() {
    if (dataDir != null) {
      return dataDir.toAbsolutePath().normalize();
    }
    String env = System.getenv("RRDFLIGHT_DATA_DIR");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath().normalize();
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
    return base.resolve("rrdflight").toAbsolutePath().normalize();
  }
}
