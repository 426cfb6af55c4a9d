package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerProcess;
import io.rrdflight.server.redap.proto.EntryFilter;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.FindEntriesRequest;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server with one query slot and no queue ({@code --max-queries 1 --max-queued-queries 0})
 * and a short {@code --query-timeout}: FetchChunks streams are parts of a client's query, not
 * queries, so a FetchChunks whose client stops reading takes no query slot (SQL and other
 * FetchChunks still answer) and ends with DEADLINE_EXCEEDED; beyond the gate's turns a FetchChunks
 * waits, and a client cancel gives its turn to it; 24 at once from one client (as rerun-sdk 0.41's
 * reader sends them) all succeed; many waiting FetchChunks hold no server thread each. At the end
 * the server stops without buffers left allocated.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RerunStreamLimitsIT {
  static final String SMALL = "SELECT COUNT(*) FROM \"dataset\".rerun.partitions";
  /** The dataset's chunks this many times over: tens of megabytes, more than gRPC buffers for a client that does not read. */
  static final int REPEATS = 30;
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

  @TempDir static Path dataDir;
  static ServerProcess server;
  static ServerClients clients;
  static ManagedChannel channel;
  static FlightSqlClient sql;
  static RerunCloudServiceGrpc.RerunCloudServiceStub datasetStub;
  static FetchChunksRequest everyChunkOnce;
  static FetchChunksRequest everyChunkRepeated;
  static List<DataframePart> chunkInfos = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "dataset=" + Fixtures.path("dataset"),
        "--query-timeout", Long.toString(QUERY_TIMEOUT.toSeconds()), "--max-queries", "1", "--max-queued-queries", "0");
    clients = new ServerClients(ServerClients.asRerun027(server.port()).build(), server.port());
    channel = clients.channel;
    sql = clients.sql;
    var entry = RerunCloudServiceGrpc.newBlockingStub(channel)
        .findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.newBuilder().setName("dataset")).build()).getEntries(0);
    Metadata entryHeader = new Metadata();
    entryHeader.put(EntryIdHeader.ENTRY_ID, ProtoValues.fromProto(entry.getId()).toHex());
    datasetStub = RerunCloudServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(entryHeader));
    RerunCloudServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(entryHeader))
        .queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build())
        .forEachRemaining(r -> chunkInfos.add(r.getData()));
    everyChunkOnce = FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build();
    FetchChunksRequest.Builder repeated = FetchChunksRequest.newBuilder();
    for (int i = 0; i < REPEATS; i++) {
      repeated.addAllChunkInfos(chunkInfos);
    }
    everyChunkRepeated = repeated.build();
    count(SMALL); // the first query of a fresh JVM compiles the planner: not what the deadline is for
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      clients.close();
    }
    if (server != null) {
      server.stop();
      // RrdflightServer and AdmittedQuery report buffers a stream left behind.
      assertFalse(server.output().contains("still allocated"), server.output());
    }
  }

  static long count(String query) throws Exception {
    return count(sql.execute(query));
  }

  /** The one value of a query already planned: fetching it is where the query takes its slot. */
  static long count(FlightInfo planned) throws Exception {
    try (FlightStream stream = sql.getStream(planned.getEndpoints().get(0).getTicket())) {
      assertTrue(stream.next());
      return ((Number) stream.getRoot().getVector(0).getObject(0)).longValue();
    }
  }

  static int chunksOf(FetchChunksRequest request) {
    int chunks = 0;
    var it = RerunCloudServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).fetchChunks(request);
    while (it.hasNext()) {
      chunks += it.next().getChunksCount();
    }
    return chunks;
  }

  @Test
  void stalledFetchesTakeNoQuerySlotAndEndAtTheirDeadline() throws Exception {
    // Planned before the stall: planning takes no slot, and under load it could outlast the deadline.
    FlightInfo planned = sql.execute(SMALL);
    List<StalledFetch> stalled = stallEveryTurn();
    assertEquals(12, count(planned));
    // Beyond the turns it waits, never RESOURCE_EXHAUSTED: until the stalled ones' deadlines free a
    // turn (then it runs in what is left of its own), or its own deadline, which is later, passes.
    Status waited = Status.OK;
    try {
      chunksOf(everyChunkOnce);
    } catch (StatusRuntimeException e) {
      waited = e.getStatus();
    }
    assertTrue(waited.isOk() || waited.getCode() == Status.Code.DEADLINE_EXCEEDED, waited.toString());
    for (StalledFetch s : stalled) {
      Status end = s.readRestAfterItsDeadline(QUERY_TIMEOUT);
      assertEquals(Status.Code.DEADLINE_EXCEEDED, end.getCode(), end.toString());
      assertTrue(end.getDescription().contains("--query-timeout"), end.getDescription());
    }
    assertTrue(chunksOf(everyChunkOnce) > 0);
  }

  static List<StalledFetch> stallEveryTurn() throws InterruptedException {
    List<StalledFetch> stalled = new ArrayList<>();
    for (int i = 0; i < ChunkFetch.MAX_STREAMS; i++) {
      stalled.add(new StalledFetch(datasetStub, everyChunkRepeated));
    }
    return stalled;
  }

  @Test
  void aClientCancelGivesItsTurnToAWaitingFetch() throws Exception {
    List<StalledFetch> stalled = stallEveryTurn();
    CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> chunksOf(everyChunkOnce));
    // Without the cancel its turn would come only as the stalled streams' deadlines pass, with its own.
    stalled.get(0).cancel();
    assertTrue(waiting.get(60, TimeUnit.SECONDS) > 0);
    stalled.forEach(StalledFetch::cancel);
  }

  @Test
  void twentyFourFetchesAtOnceFromOneClientAllSucceedWithOneQuerySlot() throws Exception {
    List<CompletableFuture<Integer>> fetches = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      // As the reader does: one chunk-info batch per call, all on one connection.
      FetchChunksRequest one = FetchChunksRequest.newBuilder().addChunkInfos(chunkInfos.get(i % chunkInfos.size())).build();
      fetches.add(fetchAsync(one));
    }
    // None RESOURCE_EXHAUSTED (the reader would fail its scan): every one brings its chunks.
    for (CompletableFuture<Integer> fetch : fetches) {
      assertTrue(fetch.get(60, TimeUnit.SECONDS) > 0);
    }
  }

  /** FetchChunks of {@code request}, without waiting for it: its chunks, or its error. */
  static CompletableFuture<Integer> fetchAsync(FetchChunksRequest request) {
    CompletableFuture<Integer> result = new CompletableFuture<>();
    AtomicInteger chunks = new AtomicInteger();
    datasetStub.fetchChunks(request, new StreamObserver<>() {
      @Override
      public void onNext(FetchChunksResponse value) {
        chunks.addAndGet(value.getChunksCount());
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(chunks.get());
      }
    });
    return result;
  }

  /** The server process's threads now (/proc: every JVM thread, gRPC's and the stream pool's included). */
  static long serverThreads() throws IOException {
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(server.process().pid()), "task"))) {
      return tasks.count();
    }
  }

  @Test
  void manyFetchesWaitingForATurnHoldNoThreadEachAndTheServerAnswersOthers() throws Exception {
    List<StalledFetch> stalled = stallEveryTurn();
    long before = serverThreads();
    // Within --max-calls-per-connection (100) with the stalled ones, all on this one connection.
    int waiters = 80;
    List<CompletableFuture<Integer>> waiting = new ArrayList<>();
    for (int i = 0; i < waiters; i++) {
      waiting.add(fetchAsync(everyChunkOnce));
    }
    // Others are answered while they wait: a FindEntries and a SQL query (which takes the one query slot).
    assertEquals(1, RerunCloudServiceGrpc.newBlockingStub(channel)
        .findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.newBuilder().setName("dataset")).build()).getEntriesCount());
    assertEquals(12, count(SMALL));
    long most = before;
    for (int sample = 0; sample < 5; sample++) {
      most = Math.max(most, serverThreads());
      Thread.sleep(100);
    }
    assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone), "they wait for a turn");
    // Each waiting call used to park a thread of the stream pool: 80 more. Now they are queue entries.
    assertTrue(most - before < waiters / 4, "server threads " + before + " -> " + most + " with " + waiters + " fetches waiting");
    stalled.forEach(StalledFetch::cancel);
    for (CompletableFuture<Integer> w : waiting) {
      assertTrue(w.get(60, TimeUnit.SECONDS) > 0);
    }
  }
}
