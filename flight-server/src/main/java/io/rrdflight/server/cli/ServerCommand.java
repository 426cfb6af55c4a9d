package io.rrdflight.server.cli;

import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.catalog.CompactionPolicy;
import io.rrdflight.server.RrdflightServer;
import io.rrdflight.server.ServerConfig;
import io.rrdflight.server.ServerConfig.DatasetSource;
import io.rrdflight.server.ServerConfig.Security;
import io.rrdflight.server.ServerConfig.TlsFiles;
import io.rrdflight.server.StartupException;
import io.rrdflight.server.StartupTrace;
import io.rrdflight.server.ServerLimits;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import io.rrdflight.rrd.s3.S3Location;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code rrdflight server}: serves datasets until SIGINT or SIGTERM. Its options are built in code ({@link #spec()}),
 * not read from annotations, which costs a server start ~50 ms of picocli reflection (see {@link RrdflightCommand}).
 */
final class ServerCommand implements Callable<Integer> {

  private final CommandSpec spec = StandardHelpOptions.addTo(CommandSpec.wrapWithoutInspection(this).name("server"));
  // The options' models, in the order help lists them; picocli fills their values, read back once by options().
  private final OptionSpec dataset;
  private final OptionSpec table;
  private final OptionSpec host;
  private final OptionSpec port;
  private final OptionSpec dataDir;
  private final OptionSpec catalog;
  private final OptionSpec advertise;
  private final OptionSpec auth;
  private final OptionSpec insecureNoAuth;
  private final OptionSpec tlsCert;
  private final OptionSpec tlsKey;
  private final OptionSpec allowRoot;
  private final OptionSpec s3Endpoint;
  private final OptionSpec queryTimeout;
  private final OptionSpec queryMemory;
  private final OptionSpec chunkCache;
  private final OptionSpec queryWorkers;
  private final OptionSpec maxQueries;
  private final OptionSpec maxQueuedQueries;
  private final OptionSpec maxSqlLength;
  private final OptionSpec maxMessageSize;
  private final OptionSpec maxConnections;
  private final OptionSpec maxCallsPerConnection;
  private final OptionSpec firstBytesTimeout;
  private final OptionSpec idleTimeout;
  private final OptionSpec maxPrefixFiles;
  private final OptionSpec compactSmallChunks;
  private final OptionSpec exitWhenReady;
  private final OptionSpec trainCalls;

  ServerCommand() {
    spec.usageMessage()
        .description("Serves datasets of Rerun recordings on one port: Arrow Flight SQL (JDBC, ADBC, pyarrow)"
            + " and Rerun's catalog protocol (rerun-sdk's CatalogClient, the Rerun viewer).")
        .footerHeading("%nExamples:%n")
        .footer(
            "  rrdflight server -d ./recordings          (dataset 'recordings', 127.0.0.1:51234)",
            "  rrdflight server -d robots=/data/runs -p 9000",
            "  rrdflight server --host 0.0.0.0 --auth --tls-cert cert.pem --tls-key key.pem",
            "                                            (every interface: tokens and TLS)",
            "  rrdflight server --allow-root /data   (clients may register below /data)",
            "",
            "Limits: every one has a default, shown above. Sizes are bytes or a number",
            "with k, m or g (binary): 512m, 2g, 64MiB. Clients register regular files",
            "below --allow-root and -d directories only. Queries beyond --max-queries",
            "wait up to 60 s in the queue. Fixed: gRPC headers up to 16 KiB, 10000 open",
            "prepared statements, each closed after 1 h unused, 10000 unfetched tickets.",
            "",
            "Connect:",
            "  Rerun SDK:  rr.catalog.CatalogClient(\"rerun+http://127.0.0.1:51234\", token=...)",
            "  JDBC:       jdbc:arrow-flight-sql://127.0.0.1:51234/?useEncryption=false&token=...",
            "  ADBC:       adbc_driver_flightsql.dbapi.connect(\"grpc://127.0.0.1:51234\")",
            "",
            "Without --auth, anyone who reaches the port may read, register and delete; a non-loopback",
            "--host therefore needs --auth (or --insecure-no-auth). Tokens: rrdflight token create --help.");
    dataset = repeatable("[NAME=]DIR", "Serve the .rrd files in DIR as dataset NAME (default: DIR's name). DIR may be an object prefix,"
        + " s3://bucket/prefix/ (its top-level .rrd objects). Repeatable.", "-d", "--dataset");
    table = repeatable("[NAME=]DIR", "Serve the Lance table in DIR as table NAME (default: DIR's name), as rerun server -t does. Repeatable.",
        "-t", "--table");
    host = option(String.class, "HOST", ServerConfig.DEFAULT_HOST, "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).",
        "--host");
    port = option(int.class, "PORT", "" + ServerConfig.DEFAULT_PORT, "Port to listen on, 0 for any free port (default: ${DEFAULT-VALUE}).",
        "-p", "--port");
    dataDir = add(DataDirOption.option());
    catalog = option(String.class, "JDBC_URL", null, "Keep the catalog in PostgreSQL (jdbc:postgresql://HOST[:PORT]/DB; user and password as"
        + " URL parameters or PGUSER/PGPASSWORD) instead of DATA_DIR/catalog.db. Several servers may share it (a fleet): the first"
        + " writes, the others read, follow its changes and take over when it stops.", "--catalog");
    advertise = option(URI.class, "URL", null, "With a shared --catalog (a fleet): the address other servers send clients to for this one's"
        + " query endpoints (grpc+tcp://HOST:PORT or grpc+tls://HOST:PORT; default: --host and the bound port).", "--advertise");
    auth = flag(false, "Require a token (or a user's password, in Flight's handshake) on every call but GET /version."
        + " Make tokens with 'rrdflight token create'.", "--auth");
    insecureNoAuth = flag(false, "Listen on a non-loopback --host without --auth: anyone who reaches the port may read,"
        + " register and delete. Only for networks you trust completely.", "--insecure-no-auth");
    tlsCert = option(Path.class, "FILE", null, "Serve TLS on the port with this PEM certificate chain (needs --tls-key). Clients then use"
        + " rerun+https://, grpc+tls:// and useEncryption=true.", "--tls-cert");
    tlsKey = option(Path.class, "FILE", null, "The PEM (PKCS#8) private key of --tls-cert.", "--tls-key");
    allowRoot = repeatable("DIR", "Clients may register .rrd files (and prefixes) below DIR, checked after resolving symlinks, or"
        + " objects below s3://bucket/prefix/. Repeatable; every -d directory is allowed too, and nothing else (default: none).",
        "--allow-root");
    s3Endpoint = option(String.class, "URL", null, "Read s3:// recordings from this S3-compatible store (path-style requests, e.g."
        + " http://127.0.0.1:9000) instead of AWS. Credentials and region: the standard AWS environment variables and profile.",
        "--s3-endpoint");
    queryTimeout = option(long.class, "SECONDS", "600", "Longest a query may run (SQL, or a Rerun data stream, FetchChunks counting its wait for"
        + " a turn); then it stops with DEADLINE_EXCEEDED (default: ${DEFAULT-VALUE}).", "--query-timeout");
    queryMemory = option(String.class, "SIZE", "512m", "Memory one SQL query may hold (its Arrow buffers and the rows sorts, joins and windows"
        + " keep; the endpoints of a split query on this server together); beyond it the query fails with RESOURCE_EXHAUSTED"
        + " (default: ${DEFAULT-VALUE}).", "--query-memory");
    chunkCache = option(String.class, "SIZE", "auto", "Decoded chunks kept across SQL queries, so that a repeated query reads and decodes less"
        + " (0: none; at most half the Arrow memory; default: ${DEFAULT-VALUE}, half the Arrow memory when one query's --query-memory"
        + " leaves a quarter of it, else what it leaves: none with the launcher's heap). Kept chunks no query uses make way whenever"
        + " a query needs the memory.",
        "--chunk-cache");
    queryWorkers = option(int.class, "N", "" + Runtime.getRuntime().availableProcessors(), "Threads one SQL query's scan computes index windows"
        + " on (default: the number of cores, here ${DEFAULT-VALUE}); fewer when their windows do not fit half of --query-memory."
        + " Also the endpoints of one split query that run at once here; the others wait for a turn.", "--query-workers");
    maxQueries = option(int.class, "N", "8", "Queries running at once: SQL queries (all endpoints of a split query are one) and Rerun dataset"
        + " queries (QueryDataset, FindChunks) together; Rerun's FetchChunks streams take turns of their own, 4 at once"
        + " (default: ${DEFAULT-VALUE}).", "--max-queries");
    maxQueuedQueries = option(int.class, "N", "32", "Queries waiting for a slot; more fail at once with RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).",
        "--max-queued-queries");
    maxSqlLength = option(int.class, "CHARS", "262144", "Longest SQL text accepted (default: ${DEFAULT-VALUE}).", "--max-sql-length");
    maxMessageSize = option(String.class, "SIZE", "64m", "Largest gRPC message a client may send (default: ${DEFAULT-VALUE}).", "--max-message-size");
    maxConnections = option(int.class, "N", "512", "Open connections at once; more are closed as they open (default: ${DEFAULT-VALUE}).",
        "--max-connections");
    maxCallsPerConnection = option(int.class, "N", "100", "Concurrent calls on one connection (default: ${DEFAULT-VALUE}).", "--max-calls-per-connection");
    firstBytesTimeout = option(long.class, "SECONDS", "10", "How long a new connection may stay silent before it is closed (default: ${DEFAULT-VALUE}).",
        "--first-bytes-timeout");
    idleTimeout = option(long.class, "SECONDS", "1800", "How long a connection may stay open without a call (default: ${DEFAULT-VALUE}).",
        "--idle-timeout");
    maxPrefixFiles = option(int.class, "N", "100000", "Most files and directories one prefix registration walks; a larger prefix fails"
        + " (default: ${DEFAULT-VALUE}).", "--max-prefix-files");
    compactSmallChunks = option(String.class, "off|auto|MIN_CHUNKS:MAX_MEAN_ROWS", "auto", "Recordings (local files) of many small chunks get a compacted"
        + " copy in DATA_DIR/compacted, made in the background after registration, which Rerun clients then read (rerun-sdk 0.27's"
        + " df() is slow on small chunks): auto = at least 1000 chunks of fewer than 32 rows on average; off = no new copies"
        + " (default: ${DEFAULT-VALUE}).", "--compact-small-chunks");
    // Builds run the server once with this to record which classes start-up loads (see flight-server/README.md).
    exitWhenReady = flag(true, "", "--exit-when-ready");
    // With --exit-when-ready, for the same training run: before exiting, make the calls clients make on a fresh
    // server, on the -d directories' files (TrainingCalls), so that the archive holds their classes too.
    trainCalls = flag(true, "", "--train-calls");
  }

  /** The command as picocli's model, to run or parse with; {@link #options()} reads back what it parsed. */
  CommandSpec spec() {
    return spec;
  }

  private OptionSpec add(OptionSpec option) {
    spec.addOption(option);
    return option;
  }

  private OptionSpec option(Class<?> type, String label, String defaultValue, String description, String... names) {
    return add(OptionSpec.builder(names).type(type).paramLabel(label).defaultValue(defaultValue).description(description).build());
  }

  private OptionSpec repeatable(String label, String description, String... names) {
    return add(OptionSpec.builder(names).type(List.class).auxiliaryTypes(String.class).paramLabel(label)
        .description(description).build());
  }

  private OptionSpec flag(boolean hidden, String description, String... names) {
    return add(OptionSpec.builder(names).type(boolean.class).hidden(hidden).description(description).build());
  }

  /** The values parsed (defaults where an option was not given), typed; the options' own checks come after. */
  ServerOptions options() {
    return new ServerOptions(strings(dataset), strings(table), host.getValue(), port.getValue(),
        DataDirOption.resolve(dataDir.getValue()), Optional.ofNullable(catalog.getValue()), Optional.ofNullable(advertise.getValue()),
        given(auth), given(insecureNoAuth), Optional.ofNullable(tlsCert.getValue()), Optional.ofNullable(tlsKey.getValue()),
        strings(allowRoot), Optional.ofNullable(s3Endpoint.getValue()), queryTimeout.getValue(), queryMemory.getValue(),
        chunkCache.getValue(), queryWorkers.getValue(), maxQueries.getValue(), maxQueuedQueries.getValue(), maxSqlLength.getValue(),
        maxMessageSize.getValue(), maxConnections.getValue(), maxCallsPerConnection.getValue(), firstBytesTimeout.getValue(),
        idleTimeout.getValue(), maxPrefixFiles.getValue(), compactSmallChunks.getValue(), given(exitWhenReady),
        given(trainCalls));
  }

  /** Whether a flag was given (picocli leaves one that was not unset). */
  private static boolean given(OptionSpec flag) {
    return Boolean.TRUE.equals(flag.getValue());
  }

  /** A repeatable option's values: none when it was not given. */
  private static List<String> strings(OptionSpec repeatable) {
    List<String> values = repeatable.getValue();
    return values == null ? List.of() : values;
  }

  @Override
  public Integer call() throws Exception {
    StartupTrace.step("arguments parsed");
    ServerOptions options = options();
    Security security = security(options);
    ServerConfig config = config(options, security);
    PrintWriter out = spec.commandLine().getOut();
    // The catalog creates the data dir (mode 0700) and locks it: a second server fails with one line.

    RrdflightServer server;
    try {
      server = RrdflightServer.start(config, RrdflightVersion.version());
    } catch (IOException e) {
      throw new UserError(bindFailure(config, e), 1, e);
    } catch (CatalogException | StartupException e) {
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
    boolean tls = security.tls().isPresent();
    out.println("rrdflight " + RrdflightVersion.version() + " listening on " + address);
    out.println("  data dir:         " + config.dataDir());
    out.println("  catalog:          " + config.catalog());
    if (config.catalog() instanceof CatalogLocation.Postgres) {
      out.println("  fleet node:       " + (server.catalog().isWriter() ? "writer" : "reader (another server writes this catalog)"));
    }
    for (DatasetSource d : config.datasets()) {
      int partitions = server.catalog().partitions(server.catalog().datasetNamed(d.name()).id()).size();
      out.println("  dataset:          " + d.name() + " <- " + d.display() + " (" + partitions + " partitions)");
    }
    for (ServerConfig.TableSource t : config.tables()) {
      out.println("  table:            " + t.name() + " <- " + t.directory());
    }
    out.println("  auth:             " + authMode(server, options));
    out.println("  tls:              " + (tls ? "on (" + security.tls().get().certificateChain() + ")" : "off"));
    List<String> roots = new ArrayList<>();
    config.allowedRoots().forEach(r -> roots.add(r.toString()));
    config.objectStorage().allowedPrefixes().forEach(p -> roots.add(p.toString()));
    config.datasets().forEach(d -> roots.add(d.display()));
    config.tables().forEach(t -> roots.add(t.directory().toString()));
    out.println("  clients register: " + (roots.isEmpty() ? "nothing (allow a directory with --allow-root DIR)"
        : "below " + String.join(", ", roots)));
    config.objectStorage().endpoint().ifPresent(e -> out.println("  object storage:   " + e));
    out.println("  Rerun SDK/viewer: " + (tls ? "rerun+https://" : "rerun+http://") + address);
    out.println("  Flight SQL JDBC:  jdbc:arrow-flight-sql://" + address + "/?useEncryption=" + tls);
    out.println("  ADBC / pyarrow:   " + (tls ? "grpc+tls://" : "grpc://") + address);
    out.println("rrdflight ready");
    out.flush();
    StartupTrace.step("banner");
    if (!options.exitWhenReady()) {
      // Loopback greetings only where they need no token or certificate (and would leave no audit lines).
      ServerWarmup.afterReady(config.host(), !security.requireTokens() && !tls, server);
    }
    if (options.exitWhenReady()) {
      if (options.trainCalls()) {
        TrainingCalls.run(server.port(), config.datasets().stream().filter(d -> !d.isObject()).map(DatasetSource::directory).toList(),
            System.err);
      }
      return 0; // main exits, and the shutdown hook stops the server as SIGTERM would
    }

    server.awaitTermination();
    stopped.await();
    return 0;
  }

  /**
   * The safe default: without --auth, only a loopback address (a laptop) may be served, unless the
   * operator says in so many words that the network is trusted.
   */
  private Security security(ServerOptions options) {
    if (options.auth() && options.insecureNoAuth()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--auth and --insecure-no-auth contradict each other; choose one");
    }
    if (options.tlsCert().isPresent() != options.tlsKey().isPresent()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together: give both or neither");
    }
    if (!options.auth() && !options.insecureNoAuth() && !isLoopback(options.host())) {
      throw new UserError("refusing to serve " + options.host() + " without --auth: anyone who reaches it could read, register and"
          + " delete; use --auth (tokens: rrdflight token create), or --insecure-no-auth on a network you trust", 2);
    }
    Optional<TlsFiles> tls = options.tlsCert().map(cert ->
        new TlsFiles(cert.toAbsolutePath().normalize(), options.tlsKey().orElseThrow().toAbsolutePath().normalize()));
    return new Security(options.auth(), tls);
  }

  private static String authMode(RrdflightServer server, ServerOptions options) {
    if (options.auth()) {
      Instant now = Instant.now();
      long tokens = server.authenticator().map(a -> a.tokens().list().stream()
          .filter(t -> t.revokedAt().isEmpty() && t.expiresAt().map(now::isBefore).orElse(true)).count()).orElse(0L);
      long users = server.authenticator().map(a -> (long) a.users().list().size()).orElse(0L);
      return "tokens required (" + tokens + " active token(s), " + users + " user(s); roles reader < writer < admin;"
          + " rrdflight token create " + options.catalog()
              // A fleet's tokens live in its catalog; the URL as printed masks any password.
              .map(url -> "--catalog " + CatalogLocation.parse(url)).orElse("--data-dir " + options.dataDir()) + ")";
    }
    if (options.insecureNoAuth() && !isLoopback(options.host())) {
      return "OFF on a network address (--insecure-no-auth): anyone who reaches the port may read, register and delete";
    }
    return "off (loopback only: anyone on this machine may read, register and delete)";
  }

  /** True when every address {@code host} names is a loopback address; a name that does not resolve is not. */
  static boolean isLoopback(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The configuration the options describe; usage errors (exit 2) name the option. */
  ServerConfig config() {
    ServerOptions options = options();
    return config(options, security(options));
  }

  private ServerConfig config(ServerOptions options, Security security) {
    return new ServerConfig(options.host(), validPort(options.port()), options.dataDir(), datasetSources(options.datasets()),
        allowedRoots(options.allowRoots()), limits(options), security, catalogLocation(options),
        new ServerConfig.ObjectStorage(s3Endpoint(options.s3Endpoint()), allowedPrefixes(options.allowRoots())),
        tableSources(options.tables()), options.advertise(), compactionPolicy(options.compactSmallChunks()));
  }

  private CompactionPolicy compactionPolicy(String policy) {
    try {
      return CompactionPolicy.parse(policy);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--compact-small-chunks: " + e.getMessage());
    }
  }

  private CatalogLocation catalogLocation(ServerOptions options) {
    if (options.catalog().isEmpty()) {
      return new CatalogLocation.Embedded(options.dataDir());
    }
    try {
      return CatalogLocation.parse(options.catalog().get());
    } catch (CatalogException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--catalog: " + e.getMessage());
    }
  }

  private Optional<URI> s3Endpoint(Optional<String> given) {
    if (given.isEmpty()) {
      return Optional.empty();
    }
    String s3Endpoint = given.get();
    try {
      URI uri = new URI(s3Endpoint);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
          || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
        throw new URISyntaxException(s3Endpoint, "expected http://HOST[:PORT] or https://HOST[:PORT]");
      }
      return Optional.of(uri);
    } catch (URISyntaxException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --s3-endpoint '" + s3Endpoint + "': " + e.getReason());
    }
  }

  private List<S3Location> allowedPrefixes(List<String> allowRoots) {
    List<S3Location> prefixes = new ArrayList<>();
    for (String root : allowRoots) {
      if (root.startsWith("s3://")) {
        prefixes.add(objectPrefix("--allow-root", root));
      }
    }
    return prefixes;
  }

  /** An {@code s3://bucket/prefix/} option value; a usage error when it is not one. */
  private S3Location objectPrefix(String option, String value) {
    try {
      S3Location prefix = S3Location.of(new URI(value));
      if (!prefix.isPrefix()) {
        throw new IllegalArgumentException("a prefix ends in '/', like s3://bucket/recordings/");
      }
      return prefix;
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Invalid " + option + " '" + value + "': " + e.getMessage());
    }
  }

  private List<Path> allowedRoots(List<String> allowRoots) {
    List<Path> roots = new ArrayList<>();
    for (String root : allowRoots) {
      if (root.startsWith("s3://")) {
        continue;
      }
      Path dir = Path.of(root).toAbsolutePath().normalize();
      if (!Files.isDirectory(dir)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            (Files.exists(dir) ? "--allow-root is not a directory: " : "--allow-root directory does not exist: ") + dir);
      }
      roots.add(dir);
    }
    return roots;
  }

  private ServerLimits limits(ServerOptions options) {
    try {
      long memory = ServerLimits.parseSize(options.queryMemory());
      long message = ServerLimits.parseSize(options.maxMessageSize());
      if (message > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("--max-message-size must be below 2g, got " + options.maxMessageSize());
      }
      return new ServerLimits(Duration.ofSeconds(options.queryTimeoutSeconds()), memory, options.maxQueries(),
          options.maxQueuedQueries(), options.maxSqlLength(), (int) message, options.maxConnections(),
          options.maxCallsPerConnection(), Duration.ofSeconds(options.firstBytesTimeoutSeconds()),
          Duration.ofSeconds(options.idleTimeoutSeconds()), options.maxPrefixFiles(), options.queryWorkers(),
          chunkCacheBytes(options.chunkCache()));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "Invalid limit: " + e.getMessage());
    }
  }

  private static long chunkCacheBytes(String set) {
    return set.trim().equalsIgnoreCase("auto") ? ServerLimits.CHUNK_CACHE_AUTO : ServerLimits.parseSizeOrZero(set);
  }

  private int validPort(int port) {
    if (port < 0 || port > 65535) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Invalid port " + port + ": must be between 0 and 65535");
    }
    return port;
  }

  private List<DatasetSource> datasetSources(List<String> datasets) {
    List<DatasetSource> sources = new ArrayList<>();
    for (String value : datasets) {
      sources.add(parseDataset(value));
    }
    return sources;
  }

  private List<ServerConfig.TableSource> tableSources(List<String> tables) {
    List<ServerConfig.TableSource> sources = new ArrayList<>();
    for (String value : tables) {
      int eq = value.indexOf('=');
      String name = eq > 0 ? value.substring(0, eq) : null;
      Path dir = Path.of(eq > 0 ? value.substring(eq + 1) : value).toAbsolutePath().normalize();
      if (!Files.isDirectory(dir)) {
        throw new CommandLine.ParameterException(spec.commandLine(), (Files.exists(dir)
            ? "Not a Lance table directory: " : "Table directory does not exist: ") + dir);
      }
      if (!Files.isDirectory(dir.resolve("_versions"))) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Not a Lance table (no _versions directory): " + dir);
      }
      if (name == null) {
        name = dir.getFileName() == null ? "root" : dir.getFileName().toString();
      }
      if (name.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Empty table name in '" + value + "'");
      }
      sources.add(new ServerConfig.TableSource(name, dir));
    }
    return sources;
  }

  private DatasetSource parseDataset(String value) {
    int eq = value.indexOf('=');
    String name = eq > 0 ? value.substring(0, eq) : null;
    String location = eq > 0 ? value.substring(eq + 1) : value;
    if (location.startsWith("s3://")) {
      S3Location prefix = objectPrefix("-d", location);
      if (name == null) {
        String trimmed = prefix.key().endsWith("/") ? prefix.key().substring(0, prefix.key().length() - 1) : prefix.key();
        name = trimmed.isEmpty() ? prefix.bucket() : trimmed.substring(trimmed.lastIndexOf('/') + 1);
      }
      if (name.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "Empty dataset name in '" + value + "'");
      }
      return new DatasetSource(name, prefix.uri());
    }
    Path dir = Path.of(location).toAbsolutePath().normalize();
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
