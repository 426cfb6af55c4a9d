package io.rrdflight.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code --data-dir}, shared by every command that reads or writes a data dir, with one default. A mixin for the
 * annotated commands; {@link #option()} is the same option for {@code server}, whose options are built in code.
 */
final class DataDirOption {
  static final String NAME = "--data-dir";
  static final String LABEL = "DIR";
  static final String DESCRIPTION = "Where rrdflight keeps its catalog, chunk indexes, server key and tokens (default:"
      + " $RRDFLIGHT_DATA_DIR, else $XDG_DATA_HOME/rrdflight, else ~/.local/share/rrdflight).";

  @Option(names = NAME, paramLabel = LABEL, description = DESCRIPTION)
  Path dataDir;

  /** The option as a picocli model, for commands built without annotations. */
  static OptionSpec option() {
    return OptionSpec.builder(NAME).paramLabel(LABEL).type(Path.class).description(DESCRIPTION).build();
  }

  /** The directory given, or the default, absolute. */
  Path resolve() {
    return resolve(dataDir);
  }

  /** {@code given} (may be null: the option was not given), or the default, absolute. */
  static Path resolve(Path given) {
    if (given != null) {
      return given.toAbsolutePath().normalize();
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
