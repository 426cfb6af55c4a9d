package io.rrdflight.server.cli;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.server.RrdflightServer;
import io.rrdflight.server.ServerConfig;
import io.rrdflight.server.ServerConfig.DatasetSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rrdflight server}: serves datasets until SIGINT or SIGTERM. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Serves datasets of Rerun recordings on one port: Arrow Flight SQL (JDBC, ADBC, pyarrow)"
        + " and Rerun's catalog protocol (rerun-sdk's CatalogClient, the Rerun viewer).",
    footerHeading = "%nExamples:%n",
    footer = {
      "  rrdflight server -d ./recordings          (dataset 'recordings', 127.0.0.1:51234)",
      "  rrdflight server -d robots=/data/runs -p 9000",
      "  rrdflight server --host 0.0.0.0           (every interface; there is no auth yet)",
      "",
      "Connect:",
      "  Rerun SDK:  rr.catalog.CatalogClient(\"rerun+http://127.0.0.1:51234\")",
      "  JDBC:       jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false",
      "  ADBC:       adbc_driver_flightsql.dbapi.connect(\"grpc://127.0.0.1:51234\")"
    })
final class ServerCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-d", "--dataset"},
      paramLabel = "[NAME=]DIR",
      description = "Serve the .rrd files in DIR as dataset NAME (default: DIR's name). Repeatable.")
  List<String> datasets = new ArrayList<>();

  @Option(names = "--host", paramLabel = "HOST", defaultValue = ServerConfig.DEFAULT_HOST,
      description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
  String host;

  @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "" + ServerConfig.DEFAULT_PORT,
      description = "Port to listen on, 0 for any free port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where rrdflight keeps its catalog and chunk indexes (default: $RRDFLIGHT_DATA_DIR, "
          + "else $XDG_DATA_HOME/rrdflight, else ~/.local/share/rrdflight).")
  Path dataDir;

  /** Builds run the server once with this to record which classes start-up loads (see flight-server/README.md). */
  @Option(names = "--exit-when-ready", hidden = true)
  boolean exitWhenReady;

  @Override
  public Integer call() throws Exception {
    ServerConfig config = new ServerConfig(host, validPort(), resolveDataDir(), datasetSources());
    PrintWriter out = spec.commandLine().getOut();
    try {
      Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UserError("cannot create data directory " + config.dataDir() + ": " + e.getMessage(), 1);
    }

    RrdflightServer server;
    try {
      server = RrdflightServer.start(config, RrdflightVersion.version());
    } catch (IOException e) {
      throw new UserError(bindFailure(config, e), 1, e);
    } catch (CatalogException e) {
      throw new UserError(e.getMessage(), 1, e);
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("rrdflight: stopping");
      out.flush();
      server.close();
      stopped.countDown();
    }, "rrdflight-shutdown"));

    String address = config.host() + ":" + server.port();
    out.println("rrdflight " + RrdflightVersion.version() + " listening on " + address);
    out.println("  data dir:         " + config.dataDir());
    for (DatasetSource d : config.datasets()) {
      int partitions = server.catalog().partitions(server.catalog().datasetNamed(d.name()).id()).size();
      out.println("  dataset:          " + d.name() + " <- " + d.directory() + " (" + partitions + " partitions)");
    }
    out.println("  Rerun SDK/viewer: rerun+http://" + address);
    out.println("  Flight SQL JDBC:  jdbc:arrow-flight-sql://" + address + "/?useEncryption=false");
    out.println("  ADBC / pyarrow:   grpc://" + address);
    out.println("rrdflight ready");
    out.flush();
    if (exitWhenReady) {
      return 0; // main exits, and the shutdown hook stops the server as SIGTERM would
    }

    server.awaitTermination();
    stopped.await();
    return 0;
  }

  private int validPort() {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Invalid port " + port + ": must be between 0 and 65535");
    }
    return port;
  }

  private List<DatasetSource> datasetSources() {
    List<DatasetSource> sources = new ArrayList<>();
    for (String spec : datasets) {
      sources.add(parseDataset(spec));
    }
    return sources;
  }

  private DatasetSource parseDataset(String value) {
    int eq = value.indexOf('=');
    String name = eq > 0 ? value.substring(0, eq) : null;
    Path dir = Path.of(eq > 0 ? value.substring(eq + 1) : value).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          (Files.exists(dir) ? "Not a directory: " : "Dataset directory does not exist: ") + dir);
    }
    if (name == null) {
      name = dir.getFileName() == null ? "root" : dir.getFileName().toString();
    }
    if (name.isBlank()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Empty dataset name in '" + value + "'");
    }
    return new DatasetSource(name, dir);
  }

  private Path resolveDataDir() {
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

  private static String bindFailure(ServerConfig config, IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cannot listen on " + config.host() + ":" + config.port() + ": " + t.getMessage()
            + " (is another server running? choose another port with --port)";
      }
    }
    return "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage();
  }
}
