package io.rrdflight.server.cli;

import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.rrd.RrdSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code rrdflight inspect FILE...}: what recordings hold. The reading and the rendering live in the
 * rrd module ({@link RrdSummary}); this command picks text or JSON and turns damage into exit codes.
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the stores, entities, timelines and chunks of .rrd files.",
      "Reads every frame and chunk header, so a damaged file is reported with the byte offset where it breaks."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  rrdflight inspect recording.rrd",
      "  rrdflight inspect --json a.rrd b.rrd",
      "  rrdflight inspect --salvage crashed.rrd   (what is readable before the damage)",
      "",
      "Exit status: 0 if every file was read, 1 if one is damaged or unreadable."
    })
final class InspectCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "FILE", arity = "1..*", description = "The .rrd files to inspect.")
  List<Path> files;

  @Option(names = "--json", description = "Print a JSON array with one object per file, for scripts.")
  boolean json;

  @Option(names = "--salvage", description = "For a damaged file, show what comes before the damage (with a warning) instead of failing.")
  boolean salvage;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<RrdSummary> summaries = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Path file : files) {
      try {
        RrdSummary summary = RrdSummary.inspect(file);
        summaries.add(summary);
        summary.damage().ifPresent(d -> {
          if (salvage) {
            err.println("rrdflight: warning: " + d.getMessage() + "; showing what comes before it");
          } else {
            errors.add(d.getMessage());
          }
        });
      } catch (NoSuchFileException e) {
        errors.add(file + ": no such file");
      } catch (RrdFormatException e) {
        errors.add(e.getMessage());
      } catch (IOException e) {
        errors.add(file + ": cannot be read: " + e.getMessage());
      }
    }
    if (json) {
      out.println(RrdSummary.toJson(summaries, salvage));
    } else {
      summaries.stream().filter(s -> salvage || s.damage().isEmpty()).forEach(s -> out.print(s.toText()));
    }
    out.flush();
    if (errors.size() == 1 && files.size() == 1) {
      throw new UserError(errors.get(0), 1);
    }
    if (!errors.isEmpty()) {
      errors.forEach(e -> err.println("rrdflight: " + e));
      throw new UserError(errors.size() + " of " + files.size() + " files could not be read", 1);
    }
    return 0;
  }
}
