package io.rrdflight.server.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code rrdflight inspect FILE...}: what a recording holds. Implemented with the rrd module's reader. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Shows the stores, entities, timelines and chunks of .rrd files.",
    footerHeading = "%nExamples:%n",
    footer = {"  rrdflight inspect recording.rrd", "  rrdflight inspect --json a.rrd b.rrd"})
final class InspectCommand implements java.util.concurrent.Callable<Integer> {

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "The .rrd files to inspect.")
  List<Path> files;

  @Override
  public Integer call() {
    throw new UserError("inspect is not implemented yet", 1);
  }
}
