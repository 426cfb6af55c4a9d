package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerProcess;
import io.rrdflight.server.redap.proto.EntryFilter;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FindEntriesRequest;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server with one query slot and no queue ({@code --max-queries 1 --max-queued-queries 0})
 * and a short {@code --query-timeout}: a FetchChunks whose client stops reading holds the one slot
 * of both doors (another FetchChunks and a SQL query are RESOURCE_EXHAUSTED), ends with
 * DEADLINE_EXCEEDED, and then the server answers again; a client cancel frees the slot too. At the
 * end the server stops without buffers left allocated.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RerunStreamLimitsIT {
  static final String SMALL = "SELECT COUNT(*) FROM \"dataset\".rerun.partitions";
  /** The dataset's chunks this many times over: tens of megabytes, more than gRPC buffers for a client that does not read. */
  static final int REPEATS = 30;

  @TempDir static Path dataDir;
  static ServerProcess server;
  static ManagedChannel channel;
  static BufferAllocator allocator;
  static FlightSqlClient sql;
  static RerunCloudServiceGrpc.RerunCloudServiceStub datasetStub;
  static FetchChunksRequest everyChunkOnce;
  static FetchChunksRequest everyChunkRepeated;

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "dataset=" + Fixtures.path("dataset"),
        "--query-timeout", "5", "--max-queries", "1", "--max-queued-queries", "0");
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER), "rerun-test/0.27.3");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    var entry = RerunCloudServiceGrpc.newBlockingStub(channel)
        .findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.newBuilder().setName("dataset")).build()).getEntries(0);
    Metadata entryHeader = new Metadata();
    entryHeader.put(EntryIdHeader.ENTRY_ID, ProtoValues.fromProto(entry.getId()).toHex());
    datasetStub = RerunCloudServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(entryHeader));
    List<DataframePart> chunkInfos = new ArrayList<>();
    RerunCloudServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(entryHeader))
        .queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build())
        .forEachRemaining(r -> chunkInfos.add(r.getData()));
    everyChunkOnce = FetchChunksRequest.newBuilder().addAllChunkInfos(chunkInfos).build();
    FetchChunksRequest.Builder repeated = FetchChunksRequest.newBuilder();
    for (int i = 0; i < REPEATS; i++) {
      repeated.addAllChunkInfos(chunkInfos);
    }
    everyChunkRepeated = repeated.build();
    allocator = new RootAllocator();
    sql = new FlightSqlClient(FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build());
    count(SMALL); // the first query of a fresh JVM compiles the planner: not what the deadline is for
  }

  @AfterAll
  static void stop() throws Exception {
    if (sql != null) {
      sql.close();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (allocator != null) {
      allocator.close();
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
  void aStalledFetchHoldsTheOneSlotOfBothDoorsUntilItsDeadline() throws Exception {
    // Planned before the stall: planning takes no slot, and under load it could outlast the deadline.
    FlightInfo planned = sql.execute(SMALL);
    StalledFetch stalled = new StalledFetch(datasetStub, everyChunkRepeated);
    FlightRuntimeException query = assertThrows(FlightRuntimeException.class, () -> count(planned));
    StatusRuntimeException fetch = assertThrows(StatusRuntimeException.class, () -> chunksOf(everyChunkOnce));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, fetch.getStatus().getCode(), fetch.toString());
    assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, query.status().code(), query.toString());

    Status end = stalled.readRest();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, end.getCode(), end.toString());
    assertTrue(end.getDescription().contains("--query-timeout"), end.getDescription());
    // The slot is given back before the status is sent: both doors answer at once.
    assertEquals(12, count(SMALL));
    assertTrue(chunksOf(everyChunkOnce) > 0);
  }

  @Test
  void aClientCancelStopsTheStreamAndFreesTheSlot() throws Exception {
    StalledFetch stalled = new StalledFetch(datasetStub, everyChunkRepeated);
    stalled.cancel();
    // The server sees the cancel on its own thread, well before the 5 s deadline would free the slot.
    long rows = -1;
    for (int attempt = 0; attempt < 40 && rows < 0; attempt++) {
      try {
        rows = count(SMALL);
      } catch (FlightRuntimeException busy) {
        assertEquals(FlightStatusCode.RESOURCE_EXHAUSTED, busy.status().code(), busy.toString());
        Thread.sleep(50);
      }
    }
    assertEquals(12, rows, "the cancelled stream did not give its slot back within 2 s");
  }
}
