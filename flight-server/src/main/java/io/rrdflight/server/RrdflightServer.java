package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.grpc.netty.NettyServerBuilder;
import io.rrdflight.catalog.AllowedRoots;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.PartitionListener;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Location;
import io.rrdflight.catalog.RegistrationLimits;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.netty.handler.ssl.SslContext;
import io.rrdflight.server.auth.AuditLog;
import io.rrdflight.server.auth.AuthInterceptor;
import io.rrdflight.server.auth.AuthStore;
import io.rrdflight.server.auth.Authenticator;
import io.rrdflight.server.auth.CallRoles;
import io.rrdflight.server.flightsql.RrdflightSqlProducer;
import io.rrdflight.server.redap.RerunCloudService;
import io.rrdflight.server.redap.WireRouter;
import io.rrdflight.server.transport.ConnectionLimits;
import io.rrdflight.server.transport.HttpEndpoints;
import io.rrdflight.server.transport.ServerTls;
import io.rrdflight.server.transport.SharedPortNegotiator;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.engine.ViewRowCounter;
import io.rrdflight.sql.engine.CatalogRerunData;
import io.rrdflight.sql.engine.ChunkCache;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One rrdflight server: Arrow Flight SQL (and Rerun's catalog service) as gRPC over HTTP/2, plus the
 * HTTP/1.1 {@code GET /version} probe of Rerun's clients, all on one port; plaintext or TLS, open or
 * with tokens ({@link ServerConfig.Security}).
 */
public final class RrdflightServer implements AutoCloseable {
  /** Files indexed at once: one per core of the 2-core machines we size for; indexing is I/O and CPU bound. */
  static final int REGISTRATION_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  private final Catalog catalog;
  private final BufferAllocator allocator;
  private final ExecutorService streamExecutor;
  private final RrdflightSqlProducer producer;
  private final RerunCloudService rerunCloud;
  private final FlightServer flightServer;
  private final Optional<Authenticator> authenticator;
  private final Optional<FleetMembership> fleet;
  /** Threads of {@link #runBeside}: close() waits for them before it closes their memory. */
  private final List<Thread> beside = new CopyOnWriteArrayList<>();
  private final ViewRowCounter rowCounter;
  private final ChunkCache chunkCache;
  /** Read once at start: gRPC refuses to tell the port once the server is shut down, and work beside it may still ask. */
  private final int port;
  private final CallClock calls;
  private final SqlDoorUse sqlDoor;
  /**
   * The server serves {@code -d} directories, or is in a fleet (whose other nodes may take the SQL queries):
   * SQL is what it is there for from the start ({@link #countMissingRowCounts}).
   */
  private final boolean servesSql;
  /** Set first thing in {@link #close}: work beside the server that waits for a quiet spell stops waiting. */
  private volatile boolean closing;

  private RrdflightServer(Catalog catalog, BufferAllocator allocator, ExecutorService streamExecutor, RrdflightSqlProducer producer,
      RerunCloudService rerunCloud, FlightServer flightServer, Optional<Authenticator> authenticator, Optional<FleetMembership> fleet,
      ViewRowCounter rowCounter, ChunkCache chunkCache, CallClock calls, SqlDoorUse sqlDoor, boolean servesSql) {
    this.calls = calls;
    this.sqlDoor = sqlDoor;
    this.servesSql = servesSql;
    this.rowCounter = rowCounter;
    this.chunkCache = chunkCache;
    this.port = flightServer.getPort();
    this.authenticator = authenticator;
    this.fleet = fleet;
    this.catalog = catalog;
    this.allocator = allocator;
    this.streamExecutor = streamExecutor;
    this.producer = producer;
    this.rerunCloud = rerunCloud;
    this.flightServer = flightServer;
  }

  /**
   * Opens the catalog, brings the {@code -d} datasets up to date with their directories, binds the
   * port and starts serving; throws {@link IOException} when the port cannot be bound, and
   * {@link StartupException} when the TLS files or the auth store cannot be used.
   */
  public static RrdflightServer start(ServerConfig config, String version) throws IOException {
    requireNonNull(config, "config is null");
    // Security first: a key or certificate problem should not wait for a long directory sync.
    Optional<SslContext> tls = tls(config.security());
    Optional<Authenticator> authenticator = authenticator(config);
    // Rerun's requests reach the interceptor as bytes (the wire is chosen per call): the audit log reads
    // them as the 0.27 vocabulary, or the 0.28+ one for calls 0.27 does not have.
    AuditLog audit = new AuditLog(List.of(io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.getServiceDescriptor(),
        io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.getServiceDescriptor()));
    AuthInterceptor auth = authenticator
        .map(a -> AuthInterceptor.requiring(a, new CallRoles(), audit))
        .orElseGet(() -> AuthInterceptor.open(new CallRoles(), audit));
    StartupTrace.step("security and audit");
    long arrowLimit = DirectMemory.arrowLimit(); // below the JVM's limit: see DirectMemory
    MemoryPressure pressure = new MemoryPressure();
    BufferAllocator allocator = new RootAllocator(pressure, arrowLimit);
    Catalog catalog;
    try {
      catalog = Catalog.open(config.catalog(), new RrdRecordingIndexer(allocator), REGISTRATION_THREADS, registrationLimits(config),
          RecordingSources.withS3(S3Client.standard(config.objectStorage().endpoint())), config.dataDir().resolve("tables"),
          config.compaction());
    } catch (RuntimeException e) {
      allocator.close();
      authenticator.ifPresent(Authenticator::close);
      throw e;
    }
    StartupTrace.step("catalog open");
    try {
      for (ServerConfig.DatasetSource source : config.datasets()) {
        catalog.syncDirectory(source.name(), source.location(), Duration.ofDays(1));
      }
      for (ServerConfig.TableSource source : config.tables()) {
        catalog.serveTable(source.name(), source.directory());
      }
    } catch (RuntimeException e) {
      catalog.close();
      allocator.close();
      authenticator.ifPresent(Authenticator::close);
      throw e;
    }
    StartupTrace.step("directories synced");
    ServerLimits limits = DirectMemory.fitQueryMemory(config.limits(), arrowLimit);
    ExecutorService streamExecutor = Executors.newCachedThreadPool(namedDaemonThreads("rrdflight-stream-"));
    // One admission for both doors: SQL queries and Rerun's query streams share the slots and the queue.
    QueryAdmission admission = new QueryAdmission(limits);
    // A PostgreSQL catalog may be shared by a fleet: this server joins it, and split queries' endpoints spread over its nodes.
    Optional<FleetMembership> fleet = config.catalog() instanceof io.rrdflight.catalog.CatalogLocation.Postgres
        ? Optional.of(new FleetMembership(catalog)) : Optional.empty();
    ChunkCache chunkCache = new ChunkCache(DirectMemory.chunkCacheBytes(limits, arrowLimit), allocator);
    pressure.releaseWith(chunkCache::releaseIdle);
    SqlEngine engine = new SqlEngine(new CatalogRerunData(catalog, chunkCache), allocator);
    // The counts a bare COUNT(*) asks for, made after each registration once SQL is in use (by the writer of a fleet): see
    // countMissingRowCounts.
    // It waits for a quiet spell of both doors: no query or FetchChunks stream running or ended, and no call
    // started, within ROW_COUNTS_QUIET. The calls count too because a client's workflow mixes streams with
    // calls that hold no slot (listings, schemas, FindChunks, the SDK's own waits): a count started between
    // two streams was stopped by the next one, having cost the client a core, and began again after it.
    CallClock calls = new CallClock();
    ViewRowCounter rowCounter = engine.rowCounter(() -> clientsActiveWithin(admission, calls, ROW_COUNTS_QUIET));
    // Only once SQL is in use (SqlDoorUse): then every partition without counts, and from then on each registration's.
    SqlDoorUse sqlDoor = new SqlDoorUse();
    sqlDoor.whenUsed("rrdflight-row-counts-queue", () -> {
      if (catalog.isWriter()) {
        rowCounter.countAll();
      }
    });
    catalog.listen(new PartitionListener() {
      @Override
      public void partitionsAdded(List<Partition> added) {
        if (catalog.isWriter()) {
          admission.noteActivity(); // the client that registered usually queries next
          if (sqlDoor.isUsed()) {
            rowCounter.count(added);
          }
        }
      }

      @Override
      public void compactionEnded(Partition p) {
        rowCounter.compactionEnded(p);
      }
    });
    RrdflightSqlProducer producer = new RrdflightSqlProducer(allocator, engine, streamExecutor,
        version, limits, admission, Optional.of(catalog),
        fleet.<io.rrdflight.server.flightsql.EndpointPlacement>map(f -> f).orElse(io.rrdflight.server.flightsql.EndpointPlacement.SAME_SERVER));
    RerunCloudService rerunCloud = new RerunCloudService(catalog, allocator.newChildAllocator("rerun-cloud", 0, Long.MAX_VALUE),
        streamExecutor, admission, version);
    StartupTrace.step("SQL engine and Rerun service");
    HttpEndpoints http = new HttpEndpoints("rrdflight " + version);
    // Rerun's catalog service shares Flight's Netty server, and with it the port, the HTTP/1.1
    // sniffer, TLS, the transport limits (Flight's own default message limit is 2 GiB) and the auth
    // layer (a server-wide interceptor: it sees the calls of both services).
    Consumer<NettyServerBuilder> sharePort = netty -> netty
        .protocolNegotiator(new SharedPortNegotiator(http, new ConnectionLimits(limits.maxConnections(), limits.firstBytesTimeout()), tls))
        .intercept(new io.rrdflight.server.flightsql.UploadsWithoutMessages()) // innermost: only calls the auth layer accepted
        .intercept(sqlDoor) // called after the auth layer: only an accepted call opens the SQL door
        .intercept(auth)
        .intercept(calls) // added last, so called first: it notes refused calls too
        .maxInboundMessageSize(limits.maxMessageBytes())
        .maxInboundMetadataSize(ServerLimits.MAX_HEADER_BYTES)
        .withChildOption(io.netty.channel.ChannelOption.WRITE_BUFFER_WATER_MARK, ServerLimits.WRITE_BUFFER)
        .maxConcurrentCallsPerConnection(limits.maxCallsPerConnection())
        .maxConnectionIdle(limits.connectionIdleTimeout().toMillis(), TimeUnit.MILLISECONDS)
        // Pings find peers that vanished without closing (half-open TCP) on connections with calls.
        .keepAliveTime(5, TimeUnit.MINUTES)
        .keepAliveTimeout(20, TimeUnit.SECONDS)
        .addService(rerunCloud.definition())
        .fallbackHandlerRegistry(WireRouter.unservedMethods(rerunCloud.definition().getServiceDescriptor().getName()));
    FlightServer flightServer = FlightServer.builder(allocator, Location.forGrpcInsecure(config.host(), config.port()), producer)
        .maxInboundMessageSize(limits.maxMessageBytes())
        .transportHint("grpc.builderConsumer", sharePort)
        .build();
    try {
      flightServer.start();
    } catch (IOException | RuntimeException e) {
      rowCounter.close();
      catalog.close();
      chunkCache.close();
      closeAll(flightServer, producer, rerunCloud, streamExecutor, allocator);
      authenticator.ifPresent(Authenticator::close);
      throw e;
    }
    StartupTrace.step("Flight server started");
    fleet.ifPresent(f -> f.start(config.advertise().orElseGet(() -> advertised(config, flightServer.getPort()))));
    return new RrdflightServer(catalog, allocator, streamExecutor, producer, rerunCloud, flightServer, authenticator, fleet, rowCounter,
        chunkCache, calls, sqlDoor, !config.datasets().isEmpty() || fleet.isPresent());
  }

  /** Where other nodes' endpoints send clients to this one when {@code --advertise} is not given: the bound host (or this host's name). */
  private static java.net.URI advertised(ServerConfig config, int port) {
    String host = config.host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      try {
        host = java.net.InetAddress.getLocalHost().getCanonicalHostName();
      } catch (java.net.UnknownHostException e) {
        host = "localhost";
      }
    }
    String scheme = config.security().tls().isPresent() ? "grpc+tls" : "grpc+tcp";
    return java.net.URI.create(scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
  }

  private static Optional<SslContext> tls(ServerConfig.Security security) {
    if (security.tls().isEmpty()) {
      return Optional.empty();
    }
    ServerConfig.TlsFiles files = security.tls().get();
    try {
      return Optional.of(ServerTls.fromPem(files.certificateChain(), files.privateKey()));
    } catch (IOException e) {
      throw new StartupException(e.getMessage(), e);
    }
  }

  private static Optional<Authenticator> authenticator(ServerConfig config) {
    if (!config.security().requireTokens()) {
      return Optional.empty();
    }
    try {
      // A fleet (a PostgreSQL catalog) keeps one auth state in the catalog's database; a lone server in its data dir.
      return Optional.of(Authenticator.open(AuthStore.at(config.catalog(), config.dataDir())));
    } catch (IOException e) {
      throw new StartupException("cannot use the tokens of " + (config.catalog() instanceof io.rrdflight.catalog.CatalogLocation.Postgres
          ? "catalog " + config.catalog() : config.dataDir().toString()) + ": " + e.getMessage(), e);
    }
  }

  /** Clients may register under the --allow-root directories and prefixes and every -d one, nowhere else. */
  static RegistrationLimits registrationLimits(ServerConfig config) {
    List<Path> roots = new ArrayList<>(config.allowedRoots());
    List<S3Location> prefixes = new ArrayList<>(config.objectStorage().allowedPrefixes());
    for (ServerConfig.DatasetSource d : config.datasets()) {
      if (d.isObject()) {
        prefixes.add(S3Location.of(d.location()));
      } else {
        roots.add(d.directory());
      }
    }
    config.tables().forEach(t -> roots.add(t.directory()));
    return new RegistrationLimits(AllowedRoots.of(roots, prefixes), config.limits().maxPrefixFiles());
  }

  public Catalog catalog() {
    return catalog;
  }

  /** The Arrow memory all of this server's work shares; its limit is {@link DirectMemory#arrowLimit}. */
  public BufferAllocator allocator() {
    return allocator;
  }

  /** The tokens and users callers must present; empty without {@code --auth}. */
  public Optional<Authenticator> authenticator() {
    return authenticator;
  }

  /** The bound port: the configured one, or the one the OS chose for port 0. */
  public int port() {
    return port;
  }

  /**
   * Runs {@code work} on a daemon thread named {@code name} with a child of the server's allocator
   * limited to {@code memoryLimit}: its buffers count in the Arrow memory every query shares, and a
   * buffer it leaves is reported (the child is closed when {@code work} returns). {@link #close} waits
   * for the thread, up to {@link #BESIDE_STOP}, before closing the allocator. Returns the thread.
   */
  public Thread runBeside(String name, long memoryLimit, Consumer<BufferAllocator> work) {
    requireNonNull(name, "name is null");
    requireNonNull(work, "work is null");
    Thread t = new Thread(() -> {
      try {
        BufferAllocator memory = allocator.newChildAllocator(name, 0, memoryLimit); // fails once the server closed
        try {
          work.accept(memory);
        } finally {
          closeAllocator(memory);
        }
      } finally {
        beside.remove(Thread.currentThread());
      }
    }, name);
    t.setDaemon(true);
    beside.add(t);
    t.start();
    return t;
  }

  /**
   * Waits until no call of either door has started for {@code quiet} ({@link CallClock}); false when the
   * server closes (or the thread is interrupted) first. For work beside the server that only gives a head
   * start: it gives way to a client's calls.
   */
  public boolean awaitQuiet(Duration quiet) {
    requireNonNull(quiet, "quiet is null");
    return awaitUnlessClosing(() -> calls.quietFor(quiet));
  }

  /**
   * Looks at {@code condition} every {@link #QUIET_POLL} until it holds (true) or the server closes or the
   * thread is interrupted (false). A sleep between looks: a timed wait on a future would make an exception per look.
   */
  private boolean awaitUnlessClosing(BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      if (closing) {
        return false;
      }
      try {
        Thread.sleep(QUIET_POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closing;
  }

  /**
   * Waits until the Flight SQL door is used ({@link SqlDoorUse}); false when the server closes (or the thread
   * is interrupted) first. For work beside the server that only saves later SQL queries time.
   */
  public boolean awaitSqlDoor() {
    return awaitUnlessClosing(() -> servesSql || sqlDoor.isUsed());
  }

  /** How many calls of either door have started since the server started ({@link CallClock}). */
  public long callsStarted() {
    return calls.started();
  }

  /** How often {@link #awaitQuiet} looks at the clock: a close waits at most this long for a waiting warm-up. */
  static final Duration QUIET_POLL = Duration.ofMillis(50);

  /**
   * Whether a client of either door is at work: a query or stream runs or ended, or a call started, less
   * than {@code quiet} ago. Background work that only saves later queries time waits while this holds.
   */
  static boolean clientsActiveWithin(QueryAdmission admission, CallClock calls, Duration quiet) {
    return admission.busyWithin(quiet) || !calls.quietFor(quiet);
  }

  /** How long both doors must be idle before the background row counts start (or resume) a scan. */
  static final Duration ROW_COUNTS_QUIET = Duration.ofSeconds(2);

  /** How long {@link #close} waits for the work of {@link #runBeside}: the warm-up's longest step (its SQL query) on a loaded machine. */
  static final Duration BESIDE_STOP = Duration.ofSeconds(10);

  /**
   * Called once the start-up warm-up is done, so that the counts do not compete with it: a server that
   * started with recordings (an existing data dir, or {@code -d} files), or {@link #servesSql}, is there
   * for SQL too, so every partition whose timeline tables' row counts are not stored yet is queued for
   * counting in the background now; otherwise that waits for the Flight SQL door's first call
   * ({@link SqlDoorUse}).
   */
  public void countMissingRowCounts(boolean startedWithRecordings) {
    if (startedWithRecordings || servesSql) {
      sqlDoor.markUsed(); // queues them (SqlDoorUse.whenUsed above), now or already at its first call
    }
  }

  public void awaitTermination() throws InterruptedException {
    flightServer.awaitTermination();
  }

  @Override
  public void close() {
    closing = true;
    fleet.ifPresent(FleetMembership::close);
    rowCounter.close();
    flightServer.shutdown();
    awaitBeside();
    catalog.close(); // stops registration workers, which use the allocator
    try {
      chunkCache.close(); // no query runs any more: its chunks are all released
    } finally {
      closeAll(flightServer, producer, rerunCloud, streamExecutor, allocator);
      authenticator.ifPresent(Authenticator::close);
    }
  }

  private void awaitBeside() {
    long deadline = System.nanoTime() + BESIDE_STOP.toNanos();
    for (Thread t : beside) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void closeAll(FlightServer server, RrdflightSqlProducer producer, RerunCloudService rerunCloud, ExecutorService executor,
      BufferAllocator allocator) {
    try {
      server.shutdown();
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    try {
      producer.close();
    } catch (Exception e) {
      // Closing prepared statements cannot lose data; the process is stopping anyway.
    }
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeAllocator(rerunCloud);
    closeAllocator(allocator);
  }

  private static void closeAllocator(AutoCloseable owner) {
    try {
      owner.close();
    } catch (IllegalStateException leak) {
      // A stream still in flight at shutdown, or a leak of the work beside the server (its message names the allocator):
      // report it, do not hide it.
      System.err.println("rrdflight: buffers still allocated at close: " + leak.getMessage());
    } catch (Exception e) {
      System.err.println("rrdflight: closing " + owner + " failed: " + e);
    }
  }

  private static java.util.concurrent.ThreadFactory namedDaemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
