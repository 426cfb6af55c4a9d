package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerLimits;
import io.rrdflight.server.TestLimits;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Rerun door's data streams under the limits of SQL queries: admission (--max-queries,
 * --max-queued-queries), the deadline (--query-timeout) and cancellation, with a client that takes
 * one message and then stops reading. The harness checks on close that no buffer leaked.
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

  @Test
  void aStalledFetchStopsAtTheDeadlineAndGivesItsSlotToTheNextStream() throws Exception {
    start(Duration.ofSeconds(1), 1, 1);
    StalledFetch stalled = new StalledFetch(rerun.asyncStub(null), fetchAll(REPEATS));
    // The only slot is the stalled stream's: this one waits in the queue until the deadline frees it.
    int expected = chunksOf(fetchAll(1));
    assertTrue(expected > 0);
    Status status = stalled.readRest();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("--query-timeout"), status.getDescription());
    assertTrue(stalled.messages.get() < REPEATS, "stopped before its end: " + stalled.messages.get() + " messages");
  }

  @Test
  void withEverySlotTakenOtherStreamsAreTurnedAwayUntilTheClientCancels() throws Exception {
    start(Duration.ofMinutes(10), 1, 0);
    StalledFetch stalled = new StalledFetch(rerun.asyncStub(null), fetchAll(REPEATS));
    StatusRuntimeException fetch = assertThrows(StatusRuntimeException.class, () -> chunksOf(fetchAll(1)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, fetch.getStatus().getCode(), fetch.toString());
    assertTrue(fetch.getStatus().getDescription().contains("--max-queries"), fetch.getStatus().getDescription());
    StatusRuntimeException query = assertThrows(StatusRuntimeException.class,
        () -> rerun.stub(dataset).queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build())
            .forEachRemaining(r -> { }));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, query.getStatus().getCode(), query.toString());

    stalled.cancel();
    // The server notices the cancel on its own thread; until then the slot may still be taken.
    int chunks = -1;
    for (int attempt = 0; attempt < 300 && chunks < 0; attempt++) {
      try {
        chunks = chunksOf(fetchAll(1));
      } catch (StatusRuntimeException busy) {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode(), busy.toString());
        Thread.sleep(100);
      }
    }
    assertTrue(chunks > 0, "the cancelled stream never gave its slot back");
  }
}
