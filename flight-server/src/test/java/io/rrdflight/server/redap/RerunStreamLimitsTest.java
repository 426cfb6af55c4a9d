package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.LanceTables;
import io.rrdflight.catalog.Table;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerLimits;
import io.rrdflight.server.TestLimits;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.ScanTableRequest;
import io.rrdflight.server.redap.proto.ScanTableResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Rerun door's data streams under the server's limits, with clients that take one message and
 * then stop reading: QueryDataset and FindChunks take the query slots (--max-queries,
 * --max-queued-queries); FetchChunks, a part of a client's query, takes turns at its own gate
 * ({@link ChunkFetch#MAX_STREAMS} at once, the others wait, never RESOURCE_EXHAUSTED); all stop at
 * the deadline (--query-timeout) or when the client cancels. ScanTable of a Lance table is a query
 * stream too. The harness checks on close that no buffer leaked.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RerunStreamLimitsTest {
  static final int MESSAGE_BYTES = 16 << 10;
  static final Path FILE = Fixtures.path("dataset/rec-dataset-04.rrd");
  /** The recording's chunks this many times over: megabytes, more than gRPC buffers for a client that does not read. */
  static final int REPEATS = 200;

  @TempDir Path dir;
  RerunCloudHarness rerun;
  EntryId dataset;
  List<DataframePart> chunkInfos;

  void start(Duration timeout, int running, int queued) throws Exception {
    rerun = new RerunCloudHarness(dir.resolve("data"), null, new RrdRecordingProbe(), MESSAGE_BYTES,
        TestLimits.queries(timeout, ServerLimits.DEFAULTS.queryMemoryBytes(), running, queued));
    dataset = rerun.datasetWith("d", FILE);
    chunkInfos = rerun.allChunkInfos(dataset);
  }

  @AfterEach
  void close() throws InterruptedException {
    if (rerun != null) {
      rerun.close();
    }
  }

  FetchChunksRequest fetchAll(int repeats) {
    List<DataframePart> parts = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      parts.addAll(chunkInfos);
    }
    return FetchChunksRequest.newBuilder().addAllChunkInfos(parts).build();
  }

  int chunksOf(FetchChunksRequest request) {
    AtomicInteger chunks = new AtomicInteger();
    rerun.stub().fetchChunks(request).forEachRemaining(m -> chunks.addAndGet(m.getChunksCount()));
    return chunks.get();
  }

  /** Every turn of the FetchChunks gate taken by a stream whose client stopped reading. */
  List<StalledFetch> stallEveryTurn() throws InterruptedException {
    List<StalledFetch> stalled = new ArrayList<>();
    for (int i = 0; i < ChunkFetch.MAX_STREAMS; i++) {
      stalled.add(new StalledFetch(rerun.asyncStub(null), fetchAll(REPEATS)));
    }
    return stalled;
  }

  /** Rows of a Lance table: {@link TableEntries#SCAN_BATCH_ROWS} per message, megabytes in all. */
  static final int TABLE_ROWS = 12 * TableEntries.SCAN_BATCH_ROWS;
  static final int TABLE_MESSAGES = TABLE_ROWS / TableEntries.SCAN_BATCH_ROWS;

  /** A Lance table of {@link #TABLE_ROWS} rows (id, a 100-byte label), made through the catalog. */
  EntryId lanceTable(String name) throws IOException {
    Schema schema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)), Field.nullable("label", ArrowType.Utf8.INSTANCE)));
    Table table = rerun.catalog.createTable(name, Optional.empty(), schema, rerun.root);
    ByteArrayOutputStream ipc = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, rerun.root); ArrowStreamWriter writer = new ArrowStreamWriter(root, null, ipc)) {
      root.allocateNew();
      byte[] label = "x".repeat(100).getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < TABLE_ROWS; i++) {
        ((BigIntVector) root.getVector(0)).setSafe(i, i);
        ((VarCharVector) root.getVector(1)).setSafe(i, label);
      }
      root.setRowCount(TABLE_ROWS);
      writer.start();
      writer.writeBatch();
      writer.end();
    }
    try (ArrowStreamReader rows = new ArrowStreamReader(new ByteArrayInputStream(ipc.toByteArray()), rerun.root)) {
      rerun.catalog.lanceTables().write(table, rows, LanceTables.WriteMode.APPEND, rerun.root);
    }
    return table.id();
  }

  StalledStream<ScanTableRequest, ScanTableResponse> stalledScan(EntryId table) throws InterruptedException {
    return new StalledStream<>(rerun.asyncStub(null)::scanTable, ScanTableRequest.newBuilder().setTableId(ProtoValues.toProto(table)).build());
  }

  Status.Code queryDatasetCode() {
    try {
      rerun.stub(dataset).queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build()).forEachRemaining(r -> { });
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void aLanceTableScanTakesAQuerySlotUntilItsClientHasReadEverything() throws Exception {
    start(Duration.ofMinutes(10), 1, 0);
    EntryId table = lanceTable("labels");
    StalledStream<ScanTableRequest, ScanTableResponse> scan = stalledScan(table);
    // The one slot is the scan's and there is no queue: a QueryDataset is turned away, not queued.
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, queryDatasetCode());
    assertEquals(Status.Code.OK, scan.readRest().getCode());
    assertEquals(TABLE_MESSAGES, scan.messages.get());
    assertEquals(Status.Code.OK, queryDatasetCode());
  }

  @Test
  void aStalledLanceTableScanStopsAtTheDeadlineAndGivesItsSlotBack() throws Exception {
    start(Duration.ofSeconds(1), 1, 0);
    EntryId table = lanceTable("labels");
    StalledStream<ScanTableRequest, ScanTableResponse> scan = stalledScan(table);
    // The slot comes back when the deadline stops the scan, while its client still reads nothing.
    while (queryDatasetCode() == Status.Code.RESOURCE_EXHAUSTED) {
      Thread.sleep(100);
    }
    Status end = scan.readRest();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, end.getCode(), end.toString());
    assertTrue(end.getDescription().contains("--query-timeout"), end.getDescription());
    assertTrue(scan.messages.get() < TABLE_MESSAGES, "stopped before its end: " + scan.messages.get() + " messages");
  }

  @Test
  void aFetchBeyondTheGateWaitsForATurnAndSucceedsWithoutTakingAQuerySlot() throws Exception {
    start(Duration.ofMinutes(10), 1, 0);
    int expected = chunksOf(fetchAll(1));
    List<StalledFetch> stalled = stallEveryTurn();
    CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> chunksOf(fetchAll(1)));
    // The one query slot is free: the stalled FetchChunks are not queries.
    assertTrue(rerun.allChunkInfos(dataset).size() > 0);
    assertFalse(waiting.isDone(), "a fifth FetchChunks ran while every turn was taken");
    assertEquals(Status.Code.OK, stalled.get(0).readRest().getCode());
    assertEquals(expected, waiting.get(60, TimeUnit.SECONDS));
    for (StalledFetch s : stalled.subList(1, stalled.size())) {
      assertEquals(Status.Code.OK, s.readRest().getCode());
    }
  }

  @Test
  void stalledFetchesStopAtTheDeadlineAndAFetchWaitingForATurnIsNeverTurnedAway() throws Exception {
    start(Duration.ofSeconds(1), 1, 0);
    List<StalledFetch> stalled = stallEveryTurn();
    // Beyond the turns it waits, never RESOURCE_EXHAUSTED: until the stalled ones' deadlines free a
    // turn (then it runs in what is left of its own), or its own deadline, which is later, passes.
    Status waited = Status.OK;
    try {
      chunksOf(fetchAll(REPEATS));
    } catch (StatusRuntimeException e) {
      waited = e.getStatus();
      assertTrue(waited.getDescription().contains("--query-timeout"), waited.getDescription());
    }
    assertTrue(waited.isOk() || waited.getCode() == Status.Code.DEADLINE_EXCEEDED, waited.toString());
    for (StalledFetch s : stalled) {
      Status status = s.readRestAfterItsDeadline(Duration.ofSeconds(1));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), status.toString());
      assertTrue(status.getDescription().contains("--query-timeout"), status.getDescription());
      assertTrue(s.messages.get() < REPEATS, "stopped before its end: " + s.messages.get() + " messages");
    }
  }

  @Test
  void aClientCancelGivesItsTurnToAWaitingFetch() throws Exception {
    start(Duration.ofMinutes(10), 1, 0);
    List<StalledFetch> stalled = stallEveryTurn();
    CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> chunksOf(fetchAll(1)));
    stalled.get(0).cancel();
    assertTrue(waiting.get(60, TimeUnit.SECONDS) > 0);
    for (StalledFetch s : stalled.subList(1, stalled.size())) {
      s.cancel();
    }
  }

  @Test
  void aFetchWhoseClientStopsReadingKeepsItsTurnUntilTheClientHasTakenTheWholeAnswer() throws Exception {
    start(Duration.ofMinutes(10), 1, 0);
    FetchChunksRequest request = fetchAll(1);
    List<FetchChunksResponse> answer = new ArrayList<>();
    rerun.stub().fetchChunks(request).forEachRemaining(answer::add);
    int expected = answer.stream().mapToInt(FetchChunksResponse::getChunksCount).sum();
    // Each client's window takes all of the answer but its last 8 KB (a gRPC message is 5 bytes more
    // than its protobuf): the server sends every message at once, and its stream would end with those
    // 8 KB still queued. Streams that ended so would free their turns for more of the same, and the
    // server would hold an answer's end for every call such clients open, on every connection.
    int window = answer.stream().mapToInt(m -> m.getSerializedSize() + 5).sum() - (8 << 10);
    List<StalledFetch> stalled = new ArrayList<>();
    for (int i = 0; i < ChunkFetch.MAX_STREAMS; i++) {
      stalled.add(new StalledFetch(rerun.asyncStubWithWindow(window), request));
    }
    CompletableFuture<Integer> beyond = CompletableFuture.supplyAsync(() -> chunksOf(request));
    assertTrue(rerun.allChunkInfos(dataset).size() > 0);
    Thread.sleep(500);
    assertFalse(beyond.isDone(), "a fifth FetchChunks ran while four clients had not taken their answers");
    assertEquals(Status.Code.OK, stalled.get(0).readRest().getCode());
    assertEquals(expected, stalled.get(0).items.get());
    assertEquals(expected, beyond.get(60, TimeUnit.SECONDS));
    for (StalledFetch s : stalled.subList(1, stalled.size())) {
      assertEquals(Status.Code.OK, s.readRest().getCode());
      assertEquals(expected, s.items.get());
    }
  }
}
