package io.rrdflight.server.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code -h/--help} and {@code -V/--version} for the commands built in code (the root and {@code server}), as
 * picocli's {@code mixinStandardHelpOptions} gives them. That switch reads picocli's own annotated mixin by
 * reflection, which is what building those commands in code avoids on a server start.
 */
final class StandardHelpOptions {
  private StandardHelpOptions() {}

  /** Adds both options to {@code spec}, and the version text they print. */
  static CommandSpec addTo(CommandSpec spec) {
    return spec.versionProvider(new RrdflightVersion())
        .addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build())
        .addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
  }
}
