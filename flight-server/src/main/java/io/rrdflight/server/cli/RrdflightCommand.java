package io.rrdflight.server.cli;

import io.rrdflight.server.StartupTrace;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code rrdflight} entry point: a picocli command whose subcommands ({@link #SUBCOMMANDS}) do the
 * work. It and {@code server} are built in code, not from annotations: picocli reads annotations by
 * reflection, in its own Java 5 class files that the class-data archive cannot hold, and makes a proxy
 * class per annotation type (~50 ms of a server start's main thread; flight-server/README.md, "Start-up").
 */
public final class RrdflightCommand implements Runnable {

  private final CommandSpec spec = StandardHelpOptions.addTo(CommandSpec.wrapWithoutInspection(this).name("rrdflight"));

  RrdflightCommand() {
    spec.usageMessage()
        .description("Serves folders of Rerun recordings (.rrd files) as datasets, queryable with the Rerun"
            + " SDK's CatalogClient and with Arrow Flight SQL (JDBC, ADBC, pyarrow).")
        .footerHeading("%nExamples:%n")
        .footer(
            "  rrdflight server -d ./recordings",
            "  rrdflight server -d robots=/data/runs --port 51234",
            "  rrdflight server -d ./recordings --host 0.0.0.0 --auth",
            "  rrdflight token create --role reader",
            "  rrdflight inspect recording.rrd",
            "  rrdflight SUBCOMMAND --help");
  }

  @Override
  public void run() {
    // No subcommand: a usage error, reported like any other (exit code 2).
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: use 'rrdflight server', 'inspect', 'token' or 'user'");
  }

  /** A wrong argument: say what is wrong and where to read more; the full usage would bury the message. */
  private static int reportUsageError(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    cmd.getErr().println("rrdflight: " + ex.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(ex, cmd.getErr());
    cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  public static void main(String[] args) {
    StartupTrace.step("main");
    utcForSql();
    unzeroedNettyMemory();
    if (args.length > 0 && args[0].equals("server")) {
      // SLF4J set up before a second thread exists: when the warm-up thread set it up while this one
      // logged, SLF4J 2.0's replay of the loggers made meanwhile could fail ("Delegate logger cannot be
      // null at this state") and leave logging, and then Netty's static set-up, broken: the server did
      // not start (a Python test in CI, 3 Dec 2026).
      LoggerFactory.getILoggerFactory();
      ServerWarmup.start();
    }
    System.exit(execute(args));
  }

  /**
   * SQL's TIMESTAMP is UTC's wall clock here, as Rerun's timestamps are UTC. Calcite's row engine and
   * java.sql.Timestamp convert through the JVM's default zone (Calcite reads it once, when its functions
   * load), so in a JVM started in another zone the results of the row engine moved by the zone's offset.
   * Before any Calcite class loads. The log's times are UTC too.
   */
  static void utcForSql() {
    java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(java.time.ZoneOffset.UTC));
  }

  /** Netty's switch for reaching the JDK's internals by reflection (off by default on Java 9 and later). */
  static final String NETTY_REFLECTION = "io.netty.tryReflectionSetAccessible";

  /**
   * Lets Netty allocate its direct memory (Arrow's buffers and gRPC's) without the JDK's zeroing: with
   * reflection allowed, and java.nio open to it (the jar's manifest opens it), Netty takes memory with
   * Unsafe and frees it itself, where {@code ByteBuffer.allocateDirect} writes zeros over every new pool
   * chunk and every buffer larger than a chunk (4 MiB) first. No reader may count on those zeros anyway: a
   * pooled buffer reuses memory an earlier one wrote, and Arrow's vectors zero what they need themselves.
   * Measured (scripts/bench/README.md, "Night session"): the filled view's scan thread -9%, the server's
   * CPU -3 to -5%, the Rerun door's peak RSS unchanged. Before any Netty class is initialised, and only when
   * the user did not set it.
   */
  static void unzeroedNettyMemory() {
    if (System.getProperty(NETTY_REFLECTION) == null) {
      System.setProperty(NETTY_REFLECTION, "true");
    }
  }

  /**
   * The subcommands by name, in the order help lists them. Only the one named first is built when there
   * is one: picocli reads each command's annotations by reflection (interpreted, in classes the
   * class-data archive cannot hold), and a server start then pays for its own options only.
   */
  static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();

  private static Map<String, Supplier<Object>> subcommands() {
    Map<String, Supplier<Object>> all = new LinkedHashMap<>();
    all.put("server", () -> new ServerCommand().spec());
    all.put("inspect", InspectCommand::new);
    all.put("token", TokenCommand::new);
    all.put("user", UserCommand::new);
    all.put("help", CommandLine.HelpCommand::new); // 'help SUBCOMMAND' needs them all
    return Collections.unmodifiableMap(all);
  }

  /** Runs the CLI and returns its exit code; 2 means the arguments were wrong. */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new RrdflightCommand().spec);
    String first = args.length > 0 ? args[0] : "";
    if (SUBCOMMANDS.containsKey(first) && !first.equals("help")) {
      cli.addSubcommand(first, SUBCOMMANDS.get(first).get());
    } else {
      SUBCOMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
    }
    // After the subcommands: picocli gives these to the subcommands present when they are set.
    return cli.setExecutionExceptionHandler(new UserErrorHandler())
        .setParameterExceptionHandler(RrdflightCommand::reportUsageError)
        .execute(args);
  }
}
