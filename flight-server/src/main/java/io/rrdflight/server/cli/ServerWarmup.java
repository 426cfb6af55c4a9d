package io.rrdflight.server.cli;

import io.rrdflight.catalog.AllowedRoots;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.catalog.CompactionPolicy;
import io.rrdflight.catalog.DataSource;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.FileToRegister;
import io.rrdflight.catalog.IndexedRecording;
import io.rrdflight.catalog.OnDuplicate;
import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.RegistrationLimits;
import io.rrdflight.catalog.RrdRecordingIndexer;
import io.rrdflight.catalog.SqliteNativeLibrary;
import io.rrdflight.catalog.Task;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RecordingSources;
import io.rrdflight.rrd.StoreKind;
import io.rrdflight.rrd.proto.IfDuplicateBehavior;
import io.rrdflight.server.RrdflightServer;
import io.rrdflight.server.auth.AuditLog;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.TrainingClient;
import io.rrdflight.sql.ResultBatches;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.engine.CatalogRerunData;
import io.rrdflight.sql.engine.HeldRecordingData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import net.jpountz.lz4.LZ4Factory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Runs, on a daemon thread, one-time initialisation that every server start needs and that does
 * not depend on the arguments, while the main thread parses them: picocli takes about 80 ms there
 * (its Java 5 class files cannot go into the class-data archive), which this work then overlaps on
 * a second core. Each step is something the start does anyway, only earlier: the descriptors of Rerun's catalog service
 * (both wires), Arrow's allocator (Netty's platform probing), sqlite-jdbc's native library, a
 * catalog opened in memory (the driver, the schema's statements, the reads of a restart: ~35 ms of
 * the main thread's catalog open), Calcite's driver, and the static set-up of the gRPC and Flight servers.
 * The JVM initialises a class once, and a thread that needs one being initialised here waits for
 * it, so the outcome is the same whichever thread gets there first; a failure here is ignored and
 * met again, and reported, where the start needs the thing.
 */
final class ServerWarmup {
  private ServerWarmup() {}

  static void start() {
    Thread t = new Thread(ServerWarmup::run, "rrdflight-warmup");
    t.setDaemon(true);
    t.start();
  }

  /**
   * After the banner, on a daemon thread: the one-time set-up of the first calls, done before a client
   * makes them (a test suite's client connects right after the ready line; on two cores this runs beside
   * it). Arrow's Schema (it initialises Jackson, ~75 ms), an Arrow IPC stream written and read in memory,
   * LZ4 (the parts of 0.29+ clients), the audit log's summaries of the first mutations ({@link #auditSummaries}), and — when {@code port} takes plaintext calls without a token — the
   * opening calls of both SDK generations over loopback (Version, WhoAmI: they read nothing of the
   * catalog), which set up the first connection's HTTP/2 and gRPC machinery, a sample recording
   * indexed in memory ({@link #indexSample}) and registered as a call registers it, into a catalog of its own in a
   * temporary directory ({@link #rehearseRegistration}), then a SQL query over no table ({@link #sampleQuery}) and,
   * when the catalog holds recordings, a GROUP BY over the sample ({@link #sampleGroupBy}). On a server that
   * starts empty, the SQL steps wait for the Flight SQL door's first call ({@link RrdflightServer#awaitSqlDoor}: a server
   * only Rerun's SDK uses never runs them), then for {@link #EMPTY_START_QUIET} without calls ({@link RrdflightServer#awaitQuiet}).
   * Writes nothing but that temporary directory (no file of the data dir, no row of the server's catalog); a failure is ignored (the calls meet it again and report it).
   * Its Arrow memory is a child of the server's allocator ({@link RrdflightServer#runBeside}): it counts in
   * the server's limit, a buffer it leaves is reported, and the server's close waits for it. Then, on a server that
   * started with recordings, it queues the background row counts (which read files: after the warm-up, not beside
   * it); on one that started empty the SQL door's first call does ({@link RrdflightServer#countMissingRowCounts}).
   */
  static Thread afterReady(String host, boolean greet, RrdflightServer server) {
    return server.runBeside("rrdflight-warmup-calls", MEMORY, allocator -> {
      boolean startedEmpty = !holdsRecordings(server.catalog());
      firstCalls(host, server.port(), greet, server.catalog(), startedEmpty, allocator, server::callsStarted,
          () -> server.awaitSqlDoor() && server.awaitQuiet(EMPTY_START_QUIET));
      server.countMissingRowCounts(!startedEmpty);
    });
  }

  /** The most Arrow memory the warm-up takes (of the server's, in its limit): its batches are of one or two rows. */
  static final long MEMORY = 64L << 20;

  /**
   * How long a server that started empty waits without calls before its SQL warm-up. Such a server is
   * usually a test suite's, whose client creates a dataset and registers files right after the ready line:
   * the SQL steps (~0.5 s of CPU here and more in the JIT's compilers, spread over a second or two) would
   * otherwise run beside those first calls on two cores (they took 0.1-0.15 s of CPU of the first
   * registration's span in first_calls.py at load 4-6). As {@code ROW_COUNTS_QUIET}: a client's calls come
   * with shorter gaps. A server that starts with recordings runs them at once: a SQL query may come first.
   */
  static final java.time.Duration EMPTY_START_QUIET = java.time.Duration.ofSeconds(2);

  /** What {@link #firstCalls} did of its optional steps. */
  record Done(boolean rehearsed, boolean sql) {}

  /**
   * The work of {@link #afterReady}, allocating from {@code allocator}, to which it gives every buffer back.
   * {@code callsStarted} counts the server's calls: the registration rehearsal runs only while no call has
   * come since its own greetings (once a client calls, it would run beside the registration it prepares), and
   * when a client called before them, the greetings and the sample's indexing are left out too.
   * {@code quiet} waits for a spell without calls (false: the server closes, skip the rest); asked only when
   * the catalog held no recording at the start ({@code startedEmpty}, {@link #holdsRecordings} as the warm-up began).
   */
  static Done firstCalls(String host, int port, boolean greet, Catalog catalog, boolean startedEmpty, BufferAllocator allocator,
      LongSupplier callsStarted, BooleanSupplier quiet) {
    boolean rehearsed = false;
    try {
      Schema schema = new Schema(List.of(Field.nullable("warmup", ArrowType.Utf8.INSTANCE)));
      schema.toJson();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
        ((VarCharVector) root.getVector(0)).setSafe(0, new byte[] {'w'});
        root.setRowCount(1);
        writer.start();
        writer.writeBatch();
        writer.end();
      }
      byte[] lz4 = LZ4Factory.fastestInstance().fastCompressor().compress(out.toByteArray());
      LZ4Factory.safeInstance().safeDecompressor().decompress(lz4, out.size());
      try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(out.toByteArray()), allocator)) {
        while (reader.loadNextBatch()) {
          reader.getVectorSchemaRoot().getRowCount();
        }
      }
      auditSummaries();
      // A client that called before the warm-up's own calls (a test suite's, right after the ready line)
      // is making the first calls now: the greetings, the sample's indexing and the rehearsal would only
      // run beside them on two cores, preparing what they are already doing (first_calls.py --settle 0,
      // load ~20: the warm-up thread took 0.1 s of CPU of the first registration's window, and its JIT more).
      boolean clientFirst = callsStarted.getAsLong() > 0;
      if (greet && !clientFirst) {
        new TrainingClient(host, port, new PrintStream(PrintStream.nullOutputStream())).greet();
      }
      long greeted = callsStarted.getAsLong();
      byte[] sample = sample();
      List<IndexedRecording> stores = sample == null || clientFirst ? List.of() : indexSample(sample, allocator);
      if (sample != null && !clientFirst && callsStarted.getAsLong() == greeted) {
        try {
          rehearsed = rehearseRegistration(sample, allocator) > 0;
        } catch (IOException | RuntimeException e) {
          // A temporary directory that cannot be written: the first registration does this work itself, as before.
        }
      }
      // Last: the Rerun clients' first calls (above) come first in their workflows; these take longest.
      if (startedEmpty && !quiet.getAsBoolean()) {
        return new Done(rehearsed, false);
      }
      sampleQuery(allocator, catalog);
      if (sample != null && holdsRecordings(catalog)) {
        sampleGroupBy(sample, stores.isEmpty() ? indexSample(sample, allocator) : stores, allocator);
      }
      return new Done(rehearsed, true);
    } catch (Throwable e) {
      return new Done(rehearsed, false); // only a head start, as above
    }
  }

  /**
   * Summarises, as the audit log does, the requests every Rerun workflow starts with: CreateDatasetEntry
   * and RegisterWithDataset. A summary reads the message through protobuf's reflection, whose first use
   * builds the service's file descriptors and the messages' accessor tables: ~40 ms of a fresh server's
   * first CreateDatasetEntry (a class-loading log of first_calls.py: 292 classes, most of protobuf's
   * descriptor machinery). Descriptors are built once per process, so the client's calls find them done.
   */
  static String auditSummaries() {
    return AuditLog.summarize(CreateDatasetEntryRequest.newBuilder().setName("warm-up").build())
        + AuditLog.summarize(RegisterWithDatasetRequest.newBuilder()
            .addDataSources(io.rrdflight.server.redap.proto.DataSource.newBuilder().setStorageUrl("file:///warm-up.rrd"))
            .setOnDuplicate(IfDuplicateBehavior.IF_DUPLICATE_BEHAVIOR_ERROR)
            .build());
  }

  /**
   * The SQL the warm-up runs: it reads no table (so no file), yet takes a query through much of what a first
   * one pays for once per process — Calcite's parser, validator and planner, its metadata handlers
   * (generated and compiled with Janino on first use, then shared by every query), the Enumerable code
   * generation, our result batches. Measured on 16 recordings (scripts/bench/README.md, "The first SQL
   * query after a restart"): the planning of the first COUNT(*) after a restart took 0.6 s of CPU without
   * it, 0.2 s after it.
   */
  static final String SAMPLE_QUERY = "SELECT COUNT(*) AS n FROM (VALUES (1), (2)) AS t(x)";

  /**
   * Plans and runs {@link #SAMPLE_QUERY} in this process, on an engine of its own over the server's catalog
   * (it lists the datasets, reads no table): not through Flight SQL, so it takes none of the server's query
   * slots (with --max-queries 1 and no queue a client's first query would otherwise be refused while it
   * runs) and needs no token. Calcite's caches (the metadata handlers) and class initialisation are per
   * process, so the server's engine finds them done. Returns the query's one value (2).
   */
  static long sampleQuery(BufferAllocator allocator, Catalog catalog) {
    try (SqlEngine engine = new SqlEngine(new CatalogRerunData(catalog), allocator);
        ResultBatches batches = engine.prepare(SAMPLE_QUERY).execute(List.of(), allocator, 16)) {
      long count = -1;
      while (batches.next()) {
        if (batches.root().getRowCount() > 0) {
          count = ((BigIntVector) batches.root().getVector(0)).get(0);
        }
      }
      return count;
    }
  }

  /**
   * Whether the catalog already holds a recording when the server is ready (a restart on a data dir, or
   * {@code -d} directories): then a SQL query over data may come soon and the warm-up runs
   * {@link #SAMPLE_GROUP_BY} for it. A server that starts empty, as a test suite's per-test server does,
   * is spared its ~0.8 s of CPU (warm-up and JIT) beside its client's first calls on two cores.
   */
  static boolean holdsRecordings(Catalog catalog) {
    return catalog.datasets().stream().anyMatch(d -> !catalog.partitions(d.id()).isEmpty());
  }

  /**
   * The query the warm-up runs over the bundled sample ({@link #sampleGroupBy}): a GROUP BY per recording as
   * users run over their datasets, through the scan of a view and the operators above it (aggregate, sort,
   * project), which {@link #SAMPLE_QUERY} never reaches.
   */
  static final String SAMPLE_GROUP_BY = "SELECT rerun_partition_id, COUNT(*) AS n, AVG(\"/curve:Scalars:scalars\"[1]) AS mean"
      + " FROM \"warmup\".rerun.\"frame\" GROUP BY rerun_partition_id ORDER BY rerun_partition_id";

  /**
   * Runs {@link #SAMPLE_GROUP_BY} over the bundled sample held in memory ({@link HeldRecordingData}: no file,
   * no catalog), on an engine of its own as {@link #sampleQuery}: the first GROUP BY after a start then finds
   * the plans' metadata handlers generated for these operators and their classes initialised. Returns the
   * sample's rows on {@code frame} (its one group's count), or -1 when the jar was built without the sample.
   */
  static long sampleGroupBy(BufferAllocator allocator) throws IOException {
    byte[] sample = sample();
    return sample == null ? -1 : sampleGroupBy(sample, indexSample(sample, allocator), allocator);
  }

  /** {@link #sampleGroupBy(BufferAllocator)} over the sample's bytes and the stores {@link #indexSample} found in them. */
  private static long sampleGroupBy(byte[] sample, List<IndexedRecording> stores, BufferAllocator allocator) throws IOException {
    try (SqlEngine engine = new SqlEngine(new HeldRecordingData("warmup", new InMemoryRecording(sample), stores), allocator);
        ResultBatches batches = engine.prepare(SAMPLE_GROUP_BY).execute(List.of(), allocator, 16)) {
      long rows = 0;
      while (batches.next()) {
        BigIntVector counts = (BigIntVector) batches.root().getVector(1);
        for (int i = 0; i < batches.root().getRowCount(); i++) {
          rows += counts.get(i);
        }
      }
      return rows;
    }
  }

  /** The bundled sample's bytes; null when the jar was built without fixtures. */
  static byte[] sample() throws IOException {
    try (InputStream in = ServerWarmup.class.getResourceAsStream("warmup/rerun-0.41.0.rrd")) {
      return in == null ? null : in.readAllBytes();
    }
  }

  /**
   * How often the sample recording is indexed: twice links and initialises the code (the first run pays
   * for that). Not more: 40 times (to have it compiled) cost ~0.5 s of warm-up CPU and as much JIT in
   * every start, more than the ~0.25 s the first registration of 16 files then saved.
   */
  static final int SAMPLE_INDEXINGS = 2;

  /**
   * Indexes the recording bundled with the jar (rerun-sdk 0.41's fixture, with the footer: what the
   * newest clients register) in memory, as registration does (the footer's totals; held in memory,
   * it stores the whole index, built from the footer as a first query builds it), and decodes the
   * index, as reads do: the first registration then finds its classes initialised and its call
   * sites linked. No file, no catalog. Returns the chunks of the last indexing.
   */
  static int indexSample(BufferAllocator allocator) throws IOException {
    byte[] sample = sample();
    if (sample == null) {
      return 0; // built without fixtures
    }
    int chunks = 0;
    for (IndexedRecording recording : indexSample(sample, allocator)) {
      chunks += ChunkIndex.fromBytes(recording.chunkIndex(), "warm-up sample").chunks().size();
    }
    return chunks;
  }

  /** Indexes the sample {@link #SAMPLE_INDEXINGS} times; the stores of the last time, which the GROUP BY reads. */
  private static List<IndexedRecording> indexSample(byte[] sample, BufferAllocator allocator) throws IOException {
    RrdRecordingIndexer indexer = new RrdRecordingIndexer(allocator);
    List<IndexedRecording> stores = List.of();
    for (int i = 0; i < SAMPLE_INDEXINGS; i++) {
      stores = indexer.index(new InMemoryRecording(sample), StoreKind.RECORDING);
      for (IndexedRecording recording : stores) {
        ChunkIndex.fromBytes(recording.chunkIndex(), "warm-up sample"); // as a query loads a partition's index
      }
    }
    return stores;
  }

  /**
   * Registers the sample as a client's call registers a footer file (catalog README, "Files indexed in
   * the call"): written to a file in a temporary directory, opened and indexed from its footer
   * ({@link Catalog#indexFromFooter}), committed with {@link Catalog#submitFiles} into a catalog of its own
   * in that directory (the same SQLite store, registrar, committer and task table as the server's), then
   * all of it deleted. Nothing of the server's catalog or data dir is touched. Its point is the first
   * run of that code (class set-up, call-site linking, the committer's planning and SQL statements): done
   * cold in the first registration of a fresh server, it made that call about twice as dear in CPU as the
   * second. Returns the partitions committed (1), or 0 when the rehearsal could not run.
   */
  static int rehearseRegistration(byte[] sample, BufferAllocator allocator) throws IOException {
    Path dir = Files.createTempDirectory("rrdflight-warmup-");
    try {
      Path file = dir.resolve("sample.rrd");
      Files.write(file, sample);
      try (Catalog rehearsal = Catalog.open(new CatalogLocation.Embedded(dir.resolve("data")), new RrdRecordingIndexer(allocator), 1,
          new RegistrationLimits(AllowedRoots.of(List.of(dir)), 1), RecordingSources.localOnly(), dir.resolve("tables"),
          CompactionPolicy.OFF)) {
        rehearsal.logRegistrationProgress(false);
        Dataset dataset = rehearsal.createDataset("warmup");
        DataSource source = new DataSource(file.toUri(), Partition.DEFAULT_LAYER);
        Optional<FileToRegister.Indexed> indexed;
        try (RecordingSource recording = rehearsal.openRegistrable(source)) {
          indexed = rehearsal.indexFromFooter(source, recording, StoreKind.RECORDING);
        }
        if (indexed.isEmpty()) {
          return 0;
        }
        List<Task> tasks = rehearsal.submitFiles(dataset.id(), List.of(new FileToRegister(source, indexed)), OnDuplicate.ERROR);
        rehearsal.awaitFinished(tasks.stream().map(Task::id).toList(), REHEARSAL_WAIT);
        return rehearsal.partitions(dataset.id()).size();
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** The longest the rehearsal waits for its commit (one file, one transaction: milliseconds, seconds on a loaded disk). */
  static final java.time.Duration REHEARSAL_WAIT = java.time.Duration.ofSeconds(10);

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** A recording held in memory. */
  private record InMemoryRecording(byte[] bytes) implements RecordingSource {
    @Override
    public String name() {
      return "warm-up sample";
    }

    @Override
    public long size() {
      return bytes.length;
    }

    @Override
    public String version() {
      return "0";
    }

    @Override
    public void readFully(long position, ByteBuffer target) throws IOException {
      int n = target.remaining();
      if (position < 0 || position + n > bytes.length) {
        throw new IOException("warm-up sample: read past its end");
      }
      target.put(bytes, (int) position, n);
    }

    @Override
    public void close() {}
  }

  private static void run() {
    try {
      // In the order the start needs them: the auth layer reads the Rerun service's descriptors first.
      io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.getServiceDescriptor();
      io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.getServiceDescriptor();
      // The server reads -XX:MaxDirectMemorySize through this bean (DirectMemory): the first lookup sets up
      // the platform beans (~10 ms of the main thread, in JFR samples of a restart).
      java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      lookup.ensureInitialized(org.apache.arrow.memory.RootAllocator.class);
      SqliteNativeLibrary.load();
      Catalog.warmUpEmbedded();
      lookup.ensureInitialized(io.rrdflight.sql.SqlEngine.class);
      lookup.ensureInitialized(io.grpc.netty.NettyServerBuilder.class);
      lookup.ensureInitialized(org.apache.arrow.flight.FlightServer.class);
    } catch (Throwable e) {
      // Only a head start: whatever failed here fails again where the server needs it, and is reported there.
    }
  }
}
