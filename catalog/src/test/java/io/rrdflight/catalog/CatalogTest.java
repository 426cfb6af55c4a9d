package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catalog behaviour: datasets, registration outcomes, duplicates, persistence across reopen. The
 * file contents come from {@link FileListIndexer}, which reads recording ids written into small
 * text files, so these tests pin the catalog's rules alone; reading real .rrd files is tested
 * with the rrd module's indexer. Runs on the embedded store; {@link PostgresCatalogTest} runs the same
 * tests on PostgreSQL.
 */
class CatalogTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dataDir;
  @TempDir Path files;

  /**
   * "Indexes" a file whose lines are recording ids, or blueprint ids written "blueprint:ID"; a file
   * whose first line is "corrupt" fails. Each store counts 3 chunks, 10 rows and 1000 bytes; a
   * recording id written "temporal:ID" has a timeline "frame" (temporal data), the others none.
   */
  static final class FileListIndexer implements RecordingIndexer {
    static final String BLUEPRINT = "blueprint:";
    static final String TEMPORAL = "temporal:";
    final Map<Path, Integer> calls = new ConcurrentHashMap<>();

    @Override
    public List<IndexedRecording> index(io.rrdflight.rrd.RecordingSource recording, StoreKind kind) throws IOException {
      Path file = Path.of(recording.name());
      calls.merge(file, 1, Integer::sum);
      List<String> lines = Files.readAllLines(file);
      if (!lines.isEmpty() && lines.get(0).equals("corrupt")) {
        throw new IOException(file + ": not an rrd file at byte offset 0");
      }
      return lines.stream()
          .filter(line -> line.startsWith(BLUEPRINT) == (kind == StoreKind.BLUEPRINT))
          .map(line -> line.startsWith(BLUEPRINT) ? line.substring(BLUEPRINT.length()) : line)
          .map(line -> line.startsWith(TEMPORAL)
              ? new IndexedRecording(line.substring(TEMPORAL.length()), "app", 3, 10, 1000, line.getBytes(),
                  new DatasetSchema(List.of(new io.rrdflight.rrd.Timeline("frame", io.rrdflight.rrd.TimelineKind.SEQUENCE)), List.of()))
              : new IndexedRecording(line, "app", 3, 10, 1000, line.getBytes(), DatasetSchema.empty()))
          .toList();
    }
  }

  /** The catalog under test; {@link PostgresCatalogTest} runs every test here against PostgreSQL. */
  Catalog open(RecordingIndexer indexer, int threads) {
    return Catalog.open(dataDir, indexer, threads);
  }

  /** The store under the catalog of {@link #open}, opened on its own. */
  CatalogStore openStore() {
    return SqliteCatalogStore.open(dataDir.resolve("catalog.db"));
  }

  private Path file(String name, String... recordingIds) throws IOException {
    return Files.write(files.resolve(name), List.of(recordingIds));
  }

  static DataSource source(Path p) {
    return DataSource.of(p.toUri().toString(), null);
  }

  @Test
  void createdDatasetHasA32HexIdAndIsFoundByName() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("robots");
      assertTrue(d.id().toHex().matches("[0-9A-F]{16}[0-9a-f]{16}"), d.id().toHex());
      assertEquals(d, c.datasetNamed("robots"));
      assertEquals(d, c.dataset(EntryId.parse(d.id().toHex().toLowerCase())));
    }
  }

  @Test
  void duplicateDatasetNameIsAlreadyExists() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.createDataset("robots");
      CatalogException e = assertThrows(CatalogException.class, () -> c.createDataset("robots"));
      assertEquals(CatalogException.Kind.ALREADY_EXISTS, e.kind());
    }
  }

  @Test
  void unknownDatasetIsNotFound() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(CatalogException.Kind.NOT_FOUND, assertThrows(CatalogException.class, () -> c.datasetNamed("nope")).kind());
      assertEquals(CatalogException.Kind.NOT_FOUND, assertThrows(CatalogException.class, () -> c.dataset(EntryId.random())).kind());
    }
  }

  @Test
  void fileWithTwoRecordingsRegistersTwoPartitions() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      Task t = c.register(d.id(), source(file("two.rrd", "rec-a", "rec-b")), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.SUCCESS, t.status(), t.message());
      assertEquals(List.of("rec-a", "rec-b"), t.partitionIds());
      assertEquals(List.of("rec-a", "rec-b"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
      assertEquals("base", c.partitions(d.id()).get(0).layer());
    }
  }

  @Test
  void duplicatePartitionFailsTheTaskAndChangesNothing() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      c.register(d.id(), source(file("a.rrd", "rec-a")), OnDuplicate.ERROR, WAIT);
      Task t = c.register(d.id(), source(file("b.rrd", "rec-b", "rec-a")), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, t.status());
      assertTrue(t.message().contains("rec-a") && t.message().contains("already"), t.message());
      assertEquals(List.of("rec-a"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
    }
  }

  @Test
  void overwriteReplacesAnExistingPartition() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      c.register(d.id(), source(file("a.rrd", "rec-a")), OnDuplicate.ERROR, WAIT);
      Path b = file("b.rrd", "rec-a");
      assertEquals(TaskStatus.SUCCESS, c.register(d.id(), source(b), OnDuplicate.OVERWRITE, WAIT).status());
      assertEquals(b, c.partitions(d.id()).get(0).file().path());
    }
  }

  @Test
  void missingAndCorruptFilesFailTheirTasksWithMessagesNamingThem() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 2)) {
      Dataset d = c.createDataset("ds");
      Path good = file("good.rrd", "rec-good");
      Path corrupt = file("corrupt.rrd", "corrupt");
      Path missing = files.resolve("missing.rrd");
      List<Task> tasks = c.submit(d.id(), List.of(source(good), source(corrupt), source(missing)), OnDuplicate.ERROR);
      List<Task> done = c.awaitFinished(tasks.stream().map(Task::id).toList(), WAIT);
      assertEquals(TaskStatus.SUCCESS, done.get(0).status());
      assertEquals(TaskStatus.FAILED, done.get(1).status());
      assertTrue(done.get(1).message().contains(corrupt.toString()), done.get(1).message());
      assertEquals(TaskStatus.FAILED, done.get(2).status());
      assertTrue(done.get(2).message().contains("File not found: " + missing), done.get(2).message());
      assertEquals(List.of("rec-good"), c.partitions(d.id()).stream().map(Partition::partitionId).toList());
    }
  }

  /**
   * A file as a call reads it before submitting: indexed from its "footer" (here: the file's lines),
   * or not, as {@link Catalog#indexFromFooter} gives it; {@code footer} false leaves it to a worker.
   */
  private FileToRegister inCall(Catalog c, Path file, boolean footer) throws IOException {
    DataSource source = source(file);
    if (!footer) {
      return FileToRegister.toIndex(source);
    }
    try (io.rrdflight.rrd.RecordingSource recording = c.openRegistrable(source)) {
      return new FileToRegister(source, c.indexFromFooter(source, recording, StoreKind.RECORDING));
    }
  }

  /** {@link FileListIndexer} whose files all have a "footer": it indexes them from it too. */
  static final class FooterListIndexer implements RecordingIndexer {
    final FileListIndexer lines = new FileListIndexer();
    /** What a footer gives for each of the file's recordings. */
    private final java.util.function.UnaryOperator<IndexedRecording> fromFooter;

    FooterListIndexer() {
      this(r -> r);
    }

    FooterListIndexer(java.util.function.UnaryOperator<IndexedRecording> fromFooter) {
      this.fromFooter = fromFooter;
    }

    @Override
    public List<IndexedRecording> index(io.rrdflight.rrd.RecordingSource recording, StoreKind kind) throws IOException {
      return lines.index(recording, kind);
    }

    @Override
    public java.util.Optional<List<IndexedRecording>> indexFromFooter(io.rrdflight.rrd.RecordingSource recording, StoreKind kind)
        throws IOException {
      return java.util.Optional.of(lines.index(recording, kind).stream().map(fromFooter).toList());
    }
  }

  @Test
  void filesIndexedInTheCallAreCommittedTogetherAndReturnFinished() throws IOException {
    FooterListIndexer indexer = new FooterListIndexer();
    try (Catalog c = open(indexer, 2)) {
      Dataset d = c.createDataset("ds");
      List<FileToRegister> in = List.of(inCall(c, file("a.rrd", "rec-a"), true), inCall(c, file("b.rrd", "rec-b1", "rec-b2"), true));
      int reads = indexer.lines.calls.values().stream().mapToInt(Integer::intValue).sum();
      List<Task> tasks = c.submitFiles(d.id(), in, OnDuplicate.ERROR);
      assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.SUCCESS), tasks.stream().map(Task::status).toList());
      assertEquals(List.of("rec-b1", "rec-b2"), tasks.get(1).partitionIds());
      assertEquals(reads, indexer.lines.calls.values().stream().mapToInt(Integer::intValue).sum(), "no worker read them again");
      List<Partition> partitions = c.partitions(d.id());
      assertEquals(3, partitions.size());
      assertEquals(1, partitions.stream().map(Partition::registeredAt).distinct().count(), "one transaction");
      assertEquals(tasks, c.awaitFinished(tasks.stream().map(Task::id).toList(), WAIT));
      assertEquals(tasks, c.tasks(d.id()));
    }
    // Stored finished, as a worker's tasks are.
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.datasetNamed("ds");
      assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.SUCCESS), c.tasks(d.id()).stream().map(Task::status).toList());
      assertEquals(3, c.partitions(d.id()).size());
    }
  }

  @Test
  void filesCommittedTogetherKeepEachTheirOwnSchemaWhenSomeAreEqual() throws IOException {
    // Each recording gets a schema of its own instance; those named "t-..." have equal ones.
    RecordingIndexer indexer = new FooterListIndexer(r -> new IndexedRecording(r.recordingId(), r.applicationId(), r.chunkCount(),
        r.rowCount(), r.sizeBytes(), r.chunkIndex(), schemaOf(r.recordingId())));
    try (Catalog c = open(indexer, 2)) {
      Dataset d = c.createDataset("ds");
      c.submitFiles(d.id(), List.of(inCall(c, file("a.rrd", "t-a"), true), inCall(c, file("b.rrd", "u-b", "t-b"), true),
          inCall(c, file("c.rrd", "t-c"), true)), OnDuplicate.ERROR);
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      List<Partition> partitions = c.partitions(c.datasetNamed("ds").id());
      assertEquals(4, partitions.size());
      for (Partition p : partitions) {
        assertEquals(schemaOf(p.partitionId()), c.schema(p), p.partitionId());
      }
    }
  }

  private static DatasetSchema schemaOf(String recordingId) {
    return new DatasetSchema(List.of(new io.rrdflight.rrd.Timeline(recordingId.startsWith("t-") ? "t" : "frame",
        io.rrdflight.rrd.TimelineKind.SEQUENCE)), List.of());
  }

  @Test
  void filesIndexedInTheCallAreStoredPendingWhenTheCallAnswersBeforeTheirCommit() throws IOException {
    List<Task> answered;
    try (Catalog c = open(new FooterListIndexer(), 2)) {
      c.inCallCommitWaitForTesting(java.time.Duration.ZERO);
      Dataset d = c.createDataset("ds");
      answered = c.submitFiles(d.id(), List.of(inCall(c, file("a.rrd", "rec-a"), true), inCall(c, file("b.rrd", "rec-b"), true)),
          OnDuplicate.ERROR);
      // Pending or already committed: either way in the store, so a crash now brings them back
      // interrupted instead of unknown to the client that waits on them.
      List<String> stored = c.store().tasks().stream().map(Task::id).toList();
      assertTrue(stored.containsAll(answered.stream().map(Task::id).toList()), stored + " holds " + answered);
      // The committer's finished state is never undone by the pending copy.
      List<Task> done = c.awaitFinished(answered.stream().map(Task::id).toList(), WAIT);
      assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.SUCCESS), done.stream().map(Task::status).toList());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.datasetNamed("ds");
      assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.SUCCESS), c.tasks(d.id()).stream().map(Task::status).toList());
      assertEquals(2, c.partitions(d.id()).size());
    }
  }

  @Test
  void addingTasksIfAbsentKeepsATaskAlreadyStored() {
    Dataset d;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      d = c.createDataset("ds");
    }
    try (CatalogStore store = openStore()) {
      java.time.Instant now = java.time.Instant.now();
      Task done = new Task("task_done", d.id(), files.resolve("x.rrd").toUri(), "base", TaskStatus.SUCCESS, null, List.of("rec-x"), now, now);
      store.upsertTasks(List.of(done));
      Task fresh = new Task("task_new", d.id(), files.resolve("y.rrd").toUri(), "base", TaskStatus.PENDING, null, List.of(), now, now);
      store.addTasksIfAbsent(List.of(done.with(TaskStatus.PENDING, null, List.of(), now), fresh));
      assertEquals(List.of(TaskStatus.SUCCESS, TaskStatus.PENDING), store.tasks().stream().map(Task::status).toList());
    }
    // What a crash before the commit leaves: the pending task comes back interrupted.
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(TaskStatus.SUCCESS, c.task("task_done").status());
      assertTrue(c.task("task_new").message().startsWith("interrupted"), c.task("task_new").message());
    }
  }

  @Test
  void aDuplicateIndexedInTheCallFailsAloneAndTheOthersRegister() throws IOException {
    try (Catalog c = open(new FooterListIndexer(), 2)) {
      Dataset d = c.createDataset("ds");
      c.register(d.id(), source(file("first.rrd", "rec-a")), OnDuplicate.ERROR, WAIT);
      List<Task> tasks = c.submitFiles(d.id(), List.of(inCall(c, file("again.rrd", "rec-a"), true), inCall(c, file("b.rrd", "rec-b"), true)),
          OnDuplicate.ERROR);
      assertEquals(TaskStatus.FAILED, tasks.get(0).status());
      assertTrue(tasks.get(0).message().contains("rec-a") && tasks.get(0).message().contains("already"), tasks.get(0).message());
      assertEquals(TaskStatus.SUCCESS, tasks.get(1).status());
      assertEquals(List.of("rec-a", "rec-b"), c.partitions(d.id()).stream().map(Partition::partitionId).sorted().toList());
    }
  }

  @Test
  void aFileLeftToAWorkerFailsAloneBesideFilesIndexedInTheCall() throws IOException {
    try (Catalog c = open(new FooterListIndexer(), 2)) {
      Dataset d = c.createDataset("ds");
      Path corrupt = file("corrupt.rrd", "corrupt");
      List<Task> tasks = c.submitFiles(d.id(), List.of(inCall(c, file("a.rrd", "rec-a"), true), inCall(c, corrupt, false),
          inCall(c, file("b.rrd", "rec-b"), true)), OnDuplicate.ERROR);
      assertEquals(TaskStatus.SUCCESS, tasks.get(0).status());
      assertEquals(TaskStatus.SUCCESS, tasks.get(2).status());
      Task failed = c.awaitFinished(List.of(tasks.get(1).id()), WAIT).get(0);
      assertEquals(TaskStatus.FAILED, failed.status());
      assertTrue(failed.message().contains(corrupt.toString()) && failed.message().contains("offset"), failed.message());
      assertEquals(List.of("rec-a", "rec-b"), c.partitions(d.id()).stream().map(Partition::partitionId).sorted().toList());
    }
  }

  @Test
  void nonFileUriIsInvalid() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      Task t = c.register(d.id(), DataSource.of("ftp://host/x.rrd", null), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, t.status());
      assertTrue(t.message().contains("Only file:// and s3:// URIs"), t.message());
      // A catalog opened without object storage says so for s3:// URIs.
      Task s3 = c.register(d.id(), DataSource.of("s3://bucket/x.rrd", null), OnDuplicate.ERROR, WAIT);
      assertTrue(s3.message().contains("reads no object storage"), s3.message());
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT,
          assertThrows(CatalogException.class, () -> DataSource.of("file://%%", null)).kind());
    }
  }

  @Test
  void everythingIsBackAfterReopening() throws IOException {
    Dataset d;
    String taskId;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      d = c.createDataset("ds");
      Task t = c.register(d.id(), source(file("a.rrd", "rec-a", "rec-b")), OnDuplicate.ERROR, WAIT);
      taskId = t.id();
    }
    FileListIndexer indexer = new FileListIndexer();
    try (Catalog c = open(indexer, 1)) {
      assertEquals(d.id(), c.datasetNamed("ds").id());
      List<Partition> partitions = c.partitions(d.id());
      assertEquals(List.of("rec-a", "rec-b"), partitions.stream().map(Partition::partitionId).toList());
      assertEquals("rec-b", new String(c.chunkIndex(partitions.get(1))));
      assertEquals(TaskStatus.SUCCESS, c.task(taskId).status());
      assertTrue(indexer.calls.isEmpty(), "reopening must not re-read files");
    }
  }

  @Test
  void deletingADatasetRemovesItsPartitionsButNotItsFiles() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      Path a = file("a.rrd", "rec-a");
      c.register(d.id(), source(a), OnDuplicate.ERROR, WAIT);
      Dataset other = c.createDataset("other");
      c.register(other.id(), source(file("b.rrd", "rec-b")), OnDuplicate.ERROR, WAIT);
      c.deleteDataset(d.id());
      assertTrue(Files.exists(a));
      assertTrue(c.findDataset("ds").isEmpty());
      assertEquals(1, c.partitions(other.id()).size());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.findDataset("ds").isEmpty());
      assertEquals(List.of("other"), c.datasets().stream().map(Dataset::name).toList());
    }
  }

  @Test
  void datasetWithBlueprintDatasetHasACompanionNamedAfterItsId() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("robots");
      assertEquals(DatasetKind.RECORDING, d.kind());
      Dataset bp = c.dataset(d.blueprintDataset().orElseThrow());
      assertEquals(DatasetKind.BLUEPRINT, bp.kind());
      assertEquals("__bp_" + d.id().toHex(), bp.name());
      assertTrue(bp.blueprintDataset().isEmpty() && bp.defaultBlueprint().isEmpty() && d.defaultBlueprint().isEmpty());
      assertEquals(List.of("robots"), c.datasets().stream().map(Dataset::name).toList(), "datasets() lists recording datasets");
      assertEquals(List.of(bp), c.datasets(DatasetKind.BLUEPRINT));
      assertEquals(3, c.allDatasets().size(), "the dataset, its blueprint dataset and its asset dataset");
      assertTrue(c.createDataset("plain").blueprintDataset().isEmpty(), "plain datasets (server -d) have none");
    }
  }

  @Test
  void blueprintDatasetTakesTheBlueprintsOfAFileAndARecordingDatasetItsRecordings() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("ds");
      EntryId bp = d.blueprintDataset().orElseThrow();
      Path both = file("both.rrd", "rec-a", "blueprint:bp-1");
      assertEquals(List.of("rec-a"), c.register(d.id(), source(both), OnDuplicate.ERROR, WAIT).partitionIds());
      assertEquals(List.of("bp-1"), c.register(bp, source(both), OnDuplicate.ERROR, WAIT).partitionIds());
      Task none = c.register(bp, source(file("plain.rrd", "rec-b")), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, none.status());
      assertTrue(none.message().contains("No blueprint in"), none.message());
      assertEquals(1000, c.partitions(bp).get(0).sizeBytes());
    }
  }

  @Test
  void defaultBlueprintIsSetClearedAndKeptAcrossReopening() {
    Dataset d;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      d = c.createDatasetWithCompanions("ds");
      Dataset set = c.setDefaultBlueprint(d.id(), java.util.Optional.of("bp-1"));
      assertEquals(java.util.Optional.of("bp-1"), set.defaultBlueprint());
      assertEquals(d.blueprintDataset(), set.blueprintDataset());
      assertFalse(set.updatedAt().isBefore(d.updatedAt()));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT,
          assertThrows(CatalogException.class, () -> c.setDefaultBlueprint(d.id(), java.util.Optional.of(" "))).kind());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset back = c.datasetNamed("ds");
      assertEquals(java.util.Optional.of("bp-1"), back.defaultBlueprint());
      assertEquals(d.blueprintDataset(), back.blueprintDataset());
      assertEquals(DatasetKind.BLUEPRINT, c.dataset(back.blueprintDataset().orElseThrow()).kind());
      assertTrue(c.setDefaultBlueprint(d.id(), java.util.Optional.empty()).defaultBlueprint().isEmpty());
    }
  }

  @Test
  void deletingADatasetDeletesItsBlueprintDatasetAndRenamingKeepsIt() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("ds");
      EntryId bp = d.blueprintDataset().orElseThrow();
      c.register(bp, source(file("bp.rrd", "blueprint:bp-1")), OnDuplicate.ERROR, WAIT);
      Dataset renamed = c.renameDataset(d.id(), "renamed");
      assertEquals(d.blueprintDataset(), renamed.blueprintDataset());
      assertEquals(DatasetKind.RECORDING, renamed.kind());
      assertEquals("__bp_" + d.id().toHex(), c.dataset(bp).name(), "the companion keeps its name");
      c.deleteDataset(d.id());
      assertTrue(c.allDatasets().isEmpty());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.allDatasets().isEmpty());
    }
  }

  @Test
  void aDatasetWhoseBlueprintDatasetWasDeletedAloneKeepsNamingItAndRefusesANewDefault() {
    Dataset d;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      d = c.createDatasetWithCompanions("ds");
      c.setDefaultBlueprint(d.id(), java.util.Optional.of("bp-1"));
      c.deleteDataset(d.blueprintDataset().orElseThrow());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset after = c.dataset(d.id());
      assertEquals(d.blueprintDataset(), after.blueprintDataset(), "as in Rerun, the dataset keeps naming it");
      assertEquals(java.util.Optional.of("bp-1"), after.defaultBlueprint());
      for (java.util.Optional<String> partition : List.of(java.util.Optional.of("bp-2"), java.util.Optional.<String>empty())) {
        CatalogException e = assertThrows(CatalogException.class, () -> c.setDefaultBlueprint(d.id(), partition));
        assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals("dataset blueprint dataset does not exist: Entry id '" + d.blueprintDataset().orElseThrow().toHex() + "' not found",
            e.getMessage());
      }
      c.deleteDataset(d.id());
      assertTrue(c.allDatasets().isEmpty());
    }
  }

  // --- tables' blueprint datasets (Rerun 0.41) ----------------------------------------------------

  static Table createTable(Catalog c, String name) {
    try (org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator()) {
      return c.createTable(name, java.util.Optional.empty(), TableRows.SCHEMA, allocator);
    }
  }

  @Test
  void aServedTablePointedAtAnotherDirectoryKeepsItsIdAndBlueprints() {
    Path first = files.resolve("labels-1");
    Path second = files.resolve("labels-2");
    Table served;
    try (Catalog c = open(new FileListIndexer(), 1); org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator()) {
      c.lanceTables().create(first, TableRows.SCHEMA, allocator);
      c.lanceTables().create(second, TableRows.SCHEMA, allocator);
      served = c.setTableDefaultBlueprint(c.serveTable("labels", first).id(), java.util.Optional.of("layout"));
      assertSame(served, c.serveTable("labels", first), "the same directory: nothing to do");
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Table moved = c.serveTable("labels", second);
      assertEquals(served.id(), moved.id());
      assertEquals(second.toAbsolutePath().normalize(), moved.path());
      assertEquals(served.blueprintDataset(), moved.blueprintDataset());
      assertEquals(java.util.Optional.of("layout"), moved.defaultBlueprint());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(List.of(second.toAbsolutePath().normalize()), c.tables().stream().map(Table::path).toList(), "the move was stored");
      assertEquals(1, c.allDatasets().size(), "one blueprint dataset, the table's own");
    }
  }

  @Test
  void tablesGetABlueprintDatasetNamedAfterTheirIdThatGoesWithThem() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Table created = createTable(c, "labels");
      Dataset bp = c.dataset(created.blueprintDataset().orElseThrow());
      assertEquals(DatasetKind.BLUEPRINT, bp.kind());
      assertEquals("__bp_" + created.id().toHex(), bp.name());
      assertTrue(created.defaultBlueprint().isEmpty());
      Table registered = c.registerTable("labels_again", created.path(), true);
      assertEquals("__bp_" + registered.id().toHex(), c.dataset(registered.blueprintDataset().orElseThrow()).name());
      assertTrue(c.datasets().isEmpty(), "blueprint datasets are no recording datasets");
      assertEquals("__bp_" + created.id().toHex(), c.dataset(c.renameTable(created.id(), "renamed").blueprintDataset().orElseThrow()).name(),
          "the companion keeps its name");
      c.deleteTable(created.id());
      assertEquals(List.of(registered.blueprintDataset().orElseThrow()), c.allDatasets().stream().map(Dataset::id).toList());
      c.deleteTable(registered.id());
      assertTrue(c.allDatasets().isEmpty());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.allDatasets().isEmpty() && c.tables().isEmpty());
    }
  }

  @Test
  void aTablesDefaultBlueprintIsSetClearedAndKeptAcrossReopening() {
    Table set;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Table t = createTable(c, "labels");
      set = c.setTableDefaultBlueprint(t.id(), java.util.Optional.of("bp-1"));
      assertEquals(java.util.Optional.of("bp-1"), set.defaultBlueprint());
      assertEquals(t.blueprintDataset(), set.blueprintDataset());
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT,
          assertThrows(CatalogException.class, () -> c.setTableDefaultBlueprint(t.id(), java.util.Optional.of(" "))).kind());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(set, c.table(set.id()));
      Table cleared = c.setTableDefaultBlueprint(set.id(), java.util.Optional.empty());
      assertTrue(cleared.defaultBlueprint().isEmpty());
      assertEquals(set.blueprintDataset(), cleared.blueprintDataset());
    }
  }

  @Test
  void aTableWhoseBlueprintDatasetWasDeletedAloneKeepsNamingItAndRefusesANewDefault() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Table t = createTable(c, "labels");
      EntryId bp = t.blueprintDataset().orElseThrow();
      c.deleteDataset(bp);
      assertEquals(java.util.Optional.of(bp), c.table(t.id()).blueprintDataset());
      CatalogException e = assertThrows(CatalogException.class, () -> c.setTableDefaultBlueprint(t.id(), java.util.Optional.of("bp-1")));
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT, e.kind());
      assertEquals("table blueprint dataset does not exist: Entry id '" + bp.toHex() + "' not found", e.getMessage());
      c.deleteTable(t.id());
      assertTrue(c.tables().isEmpty());
    }
  }

  @Test
  void aTableEnteredBeforeTablesHadBlueprintDatasetsGetsOneWhenItsDefaultIsSet() throws Exception {
    EntryId id;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Table t = createTable(c, "old");
      id = t.id();
      c.deleteDataset(t.blueprintDataset().orElseThrow());
    }
    try (CatalogStore store = openStore()) {
      java.sql.Connection db = ((JdbcCatalogStore) store).db;
      try (java.sql.Statement s = db.createStatement()) {
        // as a data dir of the version before table blueprints: no such columns
        s.execute("ALTER TABLE table_entries DROP COLUMN blueprint_dataset_id");
        s.execute("ALTER TABLE table_entries DROP COLUMN default_blueprint");
      }
      db.commit();
    }
    Table set;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.table(id).blueprintDataset().isEmpty());
      set = c.setTableDefaultBlueprint(id, java.util.Optional.empty());
      Dataset bp = c.dataset(set.blueprintDataset().orElseThrow());
      assertEquals("__bp_" + id.toHex(), bp.name());
      assertEquals(DatasetKind.BLUEPRINT, bp.kind());
      assertEquals(set.blueprintDataset(), c.setTableDefaultBlueprint(id, java.util.Optional.of("bp-1")).blueprintDataset(), "made once");
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(set.blueprintDataset(), c.table(id).blueprintDataset());
      assertEquals(java.util.Optional.of("bp-1"), c.table(id).defaultBlueprint());
      assertEquals(1, c.allDatasets().size());
    }
  }

  @Test
  void datasetWithCompanionsHasAnAssetDatasetNamedAfterItsIdThatIsNoRecordingDataset() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("robots");
      Dataset assets = c.assetDataset(d.id()).orElseThrow();
      assertEquals(DatasetKind.ASSET, assets.kind());
      assertEquals("__as_" + d.id().toHex(), assets.name());
      assertEquals(List.of(assets), c.datasets(DatasetKind.ASSET));
      assertEquals(List.of("robots"), c.datasets().stream().map(Dataset::name).toList(), "SQL sees recording datasets only");
      assertTrue(c.assetDataset(assets.id()).isEmpty() && c.assetDataset(d.blueprintDataset().orElseThrow()).isEmpty());
      assertTrue(c.assetDataset(c.createDataset("plain").id()).isEmpty(), "plain datasets (server -d) have none");
    }
  }

  @Test
  void assetDatasetTakesStaticRecordingsOnlyAndReplacesADuplicate() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      EntryId assets = c.assetDataset(c.createDatasetWithCompanions("ds").id()).orElseThrow().id();
      assertEquals(List.of("mesh"), c.register(assets, source(file("mesh.rrd", "mesh")), OnDuplicate.ERROR, WAIT).partitionIds());
      assertEquals(TaskStatus.SUCCESS, c.register(assets, source(file("mesh2.rrd", "mesh")), OnDuplicate.OVERWRITE, WAIT).status());
      assertEquals(List.of("mesh"), c.partitions(assets).stream().map(Partition::partitionId).toList());
      Task temporal = c.register(assets, source(file("run.rrd", "temporal:run-1")), OnDuplicate.ERROR, WAIT);
      assertEquals(TaskStatus.FAILED, temporal.status());
      assertTrue(temporal.message().contains("static data only") && temporal.message().contains("'run-1'"), temporal.message());
      assertEquals(1, c.partitions(assets).size(), "nothing of the temporal file was registered");
    }
  }

  @Test
  void deletingADatasetDeletesItsAssetDatasetAndItsSegmentProperties() throws IOException {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("ds");
      EntryId assets = c.assetDataset(d.id()).orElseThrow().id();
      c.register(assets, source(file("mesh.rrd", "mesh")), OnDuplicate.ERROR, WAIT);
      c.setSegmentProperties(assets, "mesh", new byte[] {1, 2, 3}, java.util.OptionalLong.empty());
      c.renameDataset(d.id(), "renamed");
      assertEquals(Optional.of(assets), c.assetDataset(d.id()).map(Dataset::id), "renaming the dataset keeps its asset dataset");
      c.deleteDataset(d.id());
      assertTrue(c.allDatasets().isEmpty());
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.allDatasets().isEmpty());
      Dataset again = c.createDatasetWithCompanions("ds");
      assertTrue(c.segmentProperties(c.assetDataset(again.id()).orElseThrow().id(), "mesh").isEmpty());
    }
  }

  @Test
  void aDatasetWithoutAssetDatasetGetsOneWhenEnsuredAndAnAssetDatasetKeepsItsName() {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDatasetWithCompanions("ds");
      Dataset first = c.assetDataset(d.id()).orElseThrow();
      assertEquals(CatalogException.Kind.INVALID_ARGUMENT,
          assertThrows(CatalogException.class, () -> c.renameDataset(first.id(), "mine")).kind());
      c.deleteDataset(first.id());
      assertTrue(c.assetDataset(d.id()).isEmpty(), "deleting an asset dataset alone leaves its dataset without one");
      c.ensureCompanions(d.id());
      Dataset second = c.assetDataset(d.id()).orElseThrow();
      assertNotEquals(first.id(), second.id());
      assertEquals(d.blueprintDataset(), c.ensureCompanions(d.id()).blueprintDataset());
      assertEquals(Optional.of(second), c.assetDataset(d.id()), "ensuring again keeps it");
      for (EntryId companion : List.of(d.blueprintDataset().orElseThrow(), second.id())) {
        c.ensureCompanions(companion);
        assertTrue(c.assetDataset(companion).isEmpty() && c.dataset(companion).blueprintDataset().isEmpty(), "a companion gets none");
      }
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(DatasetKind.ASSET, c.assetDataset(c.datasetNamed("ds").id()).orElseThrow().kind(), "kept across reopening");
    }
  }

  @Test
  void segmentPropertiesAreReplacedWholeKeptAcrossReopeningAndGuardedByRevision() {
    EntryId ds;
    long revision;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      ds = c.createDataset("ds").id();
      assertTrue(c.segmentProperties(ds, "any").isEmpty(), "a segment id needs no registered segment");
      long first = c.setSegmentProperties(ds, "any", new byte[] {1}, java.util.OptionalLong.of(0));
      assertNotEquals(0, first);
      CatalogException stale = assertThrows(CatalogException.class,
          () -> c.setSegmentProperties(ds, "any", new byte[] {2}, java.util.OptionalLong.of(0)));
      assertEquals(CatalogException.Kind.FAILED, stale.kind());
      assertTrue(stale.getMessage().contains("expected revision 0"), stale.getMessage());
      revision = c.setSegmentProperties(ds, "any", new byte[] {3, 4}, java.util.OptionalLong.of(first));
      assertNotEquals(first, revision);
      assertThrows(CatalogException.class, () -> c.deleteSegmentProperties(ds, "any", java.util.OptionalLong.of(first)));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      SegmentProperties kept = c.segmentProperties(ds, "any").orElseThrow();
      assertArrayEquals(new byte[] {3, 4}, kept.batch());
      assertEquals(revision, kept.revision());
      c.deleteSegmentProperties(ds, "any", java.util.OptionalLong.of(revision));
      c.deleteSegmentProperties(ds, "never-set", java.util.OptionalLong.empty());
      assertTrue(c.segmentProperties(ds, "any").isEmpty());
      assertEquals(CatalogException.Kind.NOT_FOUND,
          assertThrows(CatalogException.class, () -> c.segmentProperties(EntryId.random(), "any")).kind());
    }
  }

  @Test
  void syncDirectoryRegistersNewAndChangedFilesOnlyAndDropsVanishedOnes() throws Exception {
    Path dir = Files.createDirectory(files.resolve("runs"));
    Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    Files.write(dir.resolve("b.RRD"), List.of("rec-b"));
    Files.write(dir.resolve("notes.txt"), List.of("rec-x"));
    Files.createDirectory(dir.resolve("nested"));
    Files.write(dir.resolve("nested/c.rrd"), List.of("rec-c"));
    FileListIndexer indexer = new FileListIndexer();
    try (Catalog c = open(indexer, 1)) {
      List<Task> first = c.syncDirectory("runs", dir, WAIT);
      assertEquals(2, first.size());
      assertEquals(List.of("rec-a", "rec-b"), c.partitions(c.datasetNamed("runs").id()).stream().map(Partition::partitionId).toList());
    }
    Files.write(dir.resolve("d.rrd"), List.of("rec-d"));
    Files.delete(dir.resolve("b.RRD"));
    Files.write(dir.resolve("a.rrd"), List.of("rec-a2"));
    indexer.calls.clear();
    try (Catalog c = open(indexer, 1)) {
      List<Task> second = c.syncDirectory("runs", dir, WAIT);
      assertEquals(2, second.size(), "only the changed a.rrd and the new d.rrd are read");
      assertFalse(indexer.calls.containsKey(dir.resolve("b.RRD")));
      assertEquals(List.of("rec-a2", "rec-d"), c.partitions(c.datasetNamed("runs").id()).stream().map(Partition::partitionId).toList());
      assertTrue(c.syncDirectory("runs", dir, WAIT).isEmpty(), "a third sync has nothing to do");
    }
  }

  @Test
  void aDirectoryDatasetHasTheCompanionsRerunServerGivesItAndAnOlderOneGainsThemAtItsNextSync() throws Exception {
    Path dir = Files.createDirectory(files.resolve("runs"));
    Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    EntryId older;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("runs", dir, WAIT);
      Dataset runs = c.datasetNamed("runs");
      assertEquals("__bp_" + runs.id().toHex(), c.dataset(runs.blueprintDataset().orElseThrow()).name());
      assertEquals("__as_" + runs.id().toHex(), c.assetDataset(runs.id()).orElseThrow().name());
      assertEquals(List.of("runs"), c.datasets().stream().map(Dataset::name).toList(), "companions are no recording datasets");
      older = c.createDataset("older").id(); // as an rrdflight before 0.41's companions made a directory's dataset
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.dataset(older).blueprintDataset().isEmpty() && c.assetDataset(older).isEmpty());
      c.syncDirectory("older", dir, WAIT);
      Dataset now = c.dataset(older);
      assertEquals("__bp_" + older.toHex(), c.dataset(now.blueprintDataset().orElseThrow()).name());
      assertTrue(c.assetDataset(older).isPresent());
      c.deleteDataset(now.blueprintDataset().orElseThrow());
      c.syncDirectory("older", dir, WAIT);
      assertEquals(now.blueprintDataset(), c.dataset(older).blueprintDataset(), "a blueprint dataset deleted alone stays named, as in Rerun");
      assertEquals(1, c.allDatasets().stream().filter(d -> d.kind() == DatasetKind.BLUEPRINT).count(), "runs' own; none made anew");
    }
  }

  @Test
  void changedFileIsDetectedWithAMessageNamingPartitionAndFile() throws Exception {
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Dataset d = c.createDataset("ds");
      Path a = file("a.rrd", "rec-a");
      c.register(d.id(), source(a), OnDuplicate.ERROR, WAIT);
      Partition p = c.partitions(d.id()).get(0);
      c.openSource(p).close();
      Files.write(a, List.of("rec-a", "more"));
      CatalogException changed = assertThrows(CatalogException.class, () -> c.openSource(p));
      assertTrue(changed.getMessage().contains("rec-a") && changed.getMessage().contains(a.toString()), changed.getMessage());
      Files.delete(a);
      CatalogException gone = assertThrows(CatalogException.class, () -> c.openSource(p));
      assertTrue(gone.getMessage().contains("no longer exists"), gone.getMessage());
    }
  }

  @Test
  void learntChunkTimesOutliveTheProcessWithoutChangingTheCatalog() throws Exception {
    Path dir = Files.createDirectory(files.resolve("times"));
    Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    ChunkId first = new ChunkId(1, 2);
    ChunkId second = new ChunkId(3, 4);
    Partition p;
    long generation;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("times", dir, WAIT);
      p = c.partitions(c.datasetNamed("times").id()).get(0);
      assertTrue(c.chunkTimes(p).isEmpty());
      generation = c.store().generation();
      c.saveChunkTimes(p, Map.of(first, new byte[] {1, 2, 3}));
    } // closing writes what is queued
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(p, c.partitions(c.datasetNamed("times").id()).get(0));
      assertEquals(generation, c.store().generation(), "times are no catalog change: other servers do not reload for them");
      Map<ChunkId, byte[]> stored = c.chunkTimes(p);
      assertEquals(List.of(first), List.copyOf(stored.keySet()));
      assertArrayEquals(new byte[] {1, 2, 3}, stored.get(first));
      // Chunks that have theirs keep them; others are added.
      c.saveChunkTimes(p, Map.of(first, new byte[] {9}, second, new byte[] {4}));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Map<ChunkId, byte[]> stored = c.chunkTimes(p);
      assertArrayEquals(new byte[] {1, 2, 3}, stored.get(first));
      assertArrayEquals(new byte[] {4}, stored.get(second));
    }
  }

  @Test
  void aChangedFileDropsTheChunkTimesLearntFromIt() throws Exception {
    Path dir = Files.createDirectory(files.resolve("times"));
    Path a = Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    Partition before;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("times", dir, WAIT);
      before = c.partitions(c.datasetNamed("times").id()).get(0);
      c.saveChunkTimes(before, Map.of(new ChunkId(1, 2), new byte[] {1}));
    }
    Files.write(a, List.of("rec-a", "grown"));
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("times", dir, WAIT); // registers the changed file again
      Partition after = c.partitions(c.datasetNamed("times").id()).get(0);
      assertFalse(before.file().sameAs(after.file()));
      assertTrue(c.chunkTimes(after).isEmpty(), "learnt from other bytes");
      // A scan of the old file that finishes late stores nothing for the new one.
      c.saveChunkTimes(before, Map.of(new ChunkId(5, 6), new byte[] {1}));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.chunkTimes(c.partitions(c.datasetNamed("times").id()).get(0)).isEmpty());
      assertTrue(c.chunkTimes(before).isEmpty());
    }
  }

  @Test
  void viewRowCountsAreKeptPerViewApartFromChunkTimesAndGoWithAChangedFile() throws Exception {
    Path dir = Files.createDirectory(files.resolve("counts"));
    Path a = Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    Partition before;
    long generation;
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("counts", dir, WAIT);
      before = c.partitions(c.datasetNamed("counts").id()).get(0);
      assertTrue(c.viewRowCount(before, "frame", "/**").isEmpty());
      generation = c.store().generation();
      c.saveViewRowCount(new ViewRowCount(before, "frame", "/**", 42));
      c.saveViewRowCount(new ViewRowCount(before, "log_time", "/**", 7));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(generation, c.store().generation(), "counts are no catalog change");
      assertEquals(java.util.OptionalLong.of(42), c.viewRowCount(before, "frame", "/**"));
      assertEquals(java.util.OptionalLong.of(7), c.viewRowCount(before, "log_time", "/**"));
      assertTrue(c.viewRowCount(before, "frame", "/robot/**").isEmpty(), "another view");
      assertTrue(c.chunkTimes(before).isEmpty(), "not among the chunk times");
      c.saveViewRowCount(new ViewRowCount(before, "frame", "/**", 43)); // counted again: the newer count
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(java.util.OptionalLong.of(43), c.viewRowCount(before, "frame", "/**"));
    }
    Files.write(a, List.of("rec-a", "grown"));
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory("counts", dir, WAIT); // registers the changed file again
      Partition after = c.partitions(c.datasetNamed("counts").id()).get(0);
      assertTrue(c.viewRowCount(after, "frame", "/**").isEmpty(), "counted from other bytes");
      c.saveViewRowCount(new ViewRowCount(before, "frame", "/**", 44)); // a late count of the old file
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertTrue(c.viewRowCount(c.partitions(c.datasetNamed("counts").id()).get(0), "frame", "/**").isEmpty());
      assertTrue(c.viewRowCount(before, "frame", "/**").isEmpty());
    }
  }

  /** The partition of a dataset {@code name} of one file, registered by a catalog closed since. */
  private Partition oneRegisteredPartition(String name) throws IOException {
    Path dir = Files.createDirectory(files.resolve(name));
    Files.write(dir.resolve("a.rrd"), List.of("rec-a"));
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.syncDirectory(name, dir, WAIT);
      return c.partitions(c.datasetNamed(name).id()).get(0);
    }
  }

  @Test
  void rowCountsKeptAmongChunkTimesByAnOlderVersionGoWhenTheCountsTableIsMade() throws Exception {
    Partition p = oneRegisteredPartition("old");
    ChunkId reserved = new ChunkId(-1L, 12345);
    ChunkId chunk = new ChunkId(1, 2);
    try (CatalogStore store = openStore()) {
      store.addChunkTimes(List.of(new CatalogStore.PartitionChunkTimes(p, Map.of(reserved, new byte[] {2}, chunk, new byte[] {1}))), 1000);
      java.sql.Connection db = ((JdbcCatalogStore) store).db;
      try (java.sql.Statement s = db.createStatement()) {
        s.execute("DROP TABLE view_row_counts"); // as a data dir of the version before the table
      }
      db.commit();
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(List.of(chunk), List.copyOf(c.chunkTimes(p).keySet()), "the old count row is gone, the chunk's times stay");
      c.saveChunkTimes(p, Map.of(reserved, new byte[] {3}));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      assertEquals(2, c.chunkTimes(p).size(), "only once: later rows are chunk times like any");
    }
  }

  @Test
  void aPartitionsStoredChunkTimesStopAtTheCap() throws Exception {
    Partition p = oneRegisteredPartition("times");
    try (CatalogStore store = openStore()) {
      Map<ChunkId, byte[]> times = new java.util.HashMap<>();
      for (int i = 0; i < 10; i++) {
        times.put(new ChunkId(i, i), new byte[40]);
      }
      store.addChunkTimes(List.of(new CatalogStore.PartitionChunkTimes(p, times)), 100);
      assertEquals(2, store.chunkTimes(p).size(), "two of 40 bytes fit in 100");
      store.addChunkTimes(List.of(new CatalogStore.PartitionChunkTimes(p, times)), 100);
      assertEquals(2, store.chunkTimes(p).size(), "nothing more once full");
    }
  }

  @Test
  void unfinishedTasksOfAStoppedProcessComeBackFailed() throws Exception {
    // A task persisted as running, as a process killed mid-registration leaves it.
    try (Catalog c = open(new FileListIndexer(), 1)) {
      c.createDataset("ds");
    }
    try (CatalogStore store = openStore()) {
      Dataset d = store.datasets().get(0);
      java.time.Instant now = java.time.Instant.now();
      store.upsertTasks(List.of(new Task("task_x", d.id(), files.resolve("x.rrd").toUri(), "base", TaskStatus.RUNNING, null, List.of(), now, now)));
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      Task t = c.task("task_x");
      assertEquals(TaskStatus.FAILED, t.status());
      assertTrue(t.message().startsWith("interrupted"), t.message());
    }
  }

  @Test
  void filesRegisteredTogetherAreEachWholeOrAbsentAndDuplicatesAcrossTheGroupAreCaught() throws Exception {
    // Far more files than one group holds, on two workers: they are committed in groups, and
    // within a group a file is checked against the files before it.
    int n = Registrar.MAX_GROUP + 100;
    List<DataSource> sources = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sources.add(source(file("f" + i + ".rrd", "rec-" + i, i % 50 == 7 ? "rec-shared" : "rec-" + i + "-b")));
    }
    Dataset d;
    try (Catalog c = open(new FileListIndexer(), 2)) {
      d = c.createDataset("many");
      List<Task> done = c.awaitFinished(c.submit(d.id(), sources, OnDuplicate.ERROR).stream().map(Task::id).toList(), WAIT);
      List<Task> failed = done.stream().filter(t -> t.status() != TaskStatus.SUCCESS).toList();
      long sharing = java.util.stream.IntStream.range(0, n).filter(i -> i % 50 == 7).count();
      assertEquals(sharing - 1, failed.size(), "one file takes rec-shared, the others fail");
      failed.forEach(t -> assertTrue(t.message().contains("rec-shared") && t.message().contains("already"), t.message()));
      assertEquals(2 * (n - failed.size()), c.partitions(d.id()).size(), "a failed file leaves neither of its partitions");
    }
    try (Catalog c = open(new FileListIndexer(), 1)) {
      List<Partition> partitions = c.partitions(d.id());
      assertEquals(2L * (n - (java.util.stream.IntStream.range(0, n).filter(i -> i % 50 == 7).count() - 1)), partitions.size());
      for (Task t : c.tasks(d.id())) {
        assertEquals(t.status() == TaskStatus.SUCCESS ? 2 : 0, t.partitionIds().size(), t.toString());
        t.partitionIds().forEach(id -> assertEquals(id, new String(c.chunkIndex(c.partition(d.id(), id, "base")))));
      }
      assertEquals(sources.stream().map(DataSource::uri).toList(), c.tasks(d.id()).stream().map(Task::source).toList(),
          "tasks are listed in submission order");
    }
  }

  @Test
  void theFilesOfALargeRegistrationAreCommittedTogether() throws Exception {
    // A worker per file: all but the last finish at once, the last a little later (a larger file). The
    // committer, which took the first ones alone before, waits for the rest of a registration this large
    // (Registrar.LINGER_FILES), so all of it is one transaction: one commit time for every partition,
    // every task finished at once.
    List<Task> done = registerWithALateLastFile(Registrar.LINGER_FILES);
    assertEquals(1, done.stream().map(Task::updatedAt).distinct().count(), "finished together");
  }

  @Test
  void theFilesOfASmallRegistrationAreCommittedAsTheyCome() throws Exception {
    // The same with four files: the first three are committed while the last is still being indexed.
    List<Task> done = registerWithALateLastFile(4);
    assertTrue(done.stream().map(Task::updatedAt).distinct().count() > 1, "the late file's commit is its own");
  }

  /** Registers {@code n} listed files on {@code n} workers, the last ({@code t0}) indexed 50 ms after the others, which finish together. */
  private List<Task> registerWithALateLastFile(int n) throws Exception {
    CountDownLatch othersDone = new CountDownLatch(n - 1);
    RecordingIndexer indexer = (recording, kind) -> {
      List<IndexedRecording> indexed = new FileListIndexer().index(recording, kind);
      try {
        if (recording.name().endsWith("t0.rrd")) {
          othersDone.await();
          Thread.sleep(50); // well within Registrar.LINGER
        } else {
          // The others hand their files over together, so on a loaded machine the committer's wait for the
          // rest (Registrar.LINGER, from the first file it takes) does not run out while they straggle in.
          othersDone.countDown();
          othersDone.await();
        }
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      return indexed;
    };
    List<DataSource> sources = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sources.add(source(file("t" + i + ".rrd", "rec-t" + i)));
    }
    try (Catalog c = open(indexer, n)) {
      Dataset d = c.createDataset("together");
      List<Task> done = c.awaitFinished(c.submit(d.id(), sources, OnDuplicate.ERROR).stream().map(Task::id).toList(), WAIT);
      done.forEach(t -> assertEquals(TaskStatus.SUCCESS, t.status(), t.message()));
      assertEquals(n, c.partitions(d.id()).size());
      return done;
    }
  }

  @Test
  void concurrentReadsAndRegistrationsNeverBreakTheSharedConnection() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (Catalog c = open(new FileListIndexer(), 2)) {
      Dataset d = c.createDataset("ds");
      c.register(d.id(), source(file("seed.rrd", "rec-seed")), OnDuplicate.ERROR, WAIT);
      Partition seed = c.partitions(d.id()).get(0);
      List<Future<?>> work = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int n = i;
        // Readers hit the store without the catalog lock (chunk indexes, schemas) while
        // registrations commit on the worker threads.
        work.add(pool.submit(() -> {
          for (int k = 0; k < 20; k++) {
            assertEquals("rec-seed", new String(c.chunkIndex(seed)));
            c.schema(seed);
          }
          return null;
        }));
        work.add(pool.submit(() -> c.submit(d.id(), List.of(source(file("f" + n + ".rrd", "rec-" + n))), OnDuplicate.ERROR)));
      }
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<String> ids = c.tasks(d.id()).stream().map(Task::id).toList();
      List<Task> done = c.awaitFinished(ids, WAIT);
      for (Task t : done) {
        assertEquals(TaskStatus.SUCCESS, t.status(), t.message());
      }
      assertEquals(41, c.partitions(d.id()).size());
    } finally {
      pool.shutdownNow();
    }
  }
}
