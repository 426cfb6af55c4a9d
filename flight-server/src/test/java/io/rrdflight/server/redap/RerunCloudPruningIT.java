package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.IndexColumnSelector;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.rrd.proto.TimeRange;
import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerProcess;
import io.rrdflight.server.redap.proto.EntryFilter;
import io.rrdflight.server.redap.proto.FetchChunksRequest;
import io.rrdflight.server.redap.proto.FetchChunksResponse;
import io.rrdflight.server.redap.proto.FindEntriesRequest;
import io.rrdflight.server.redap.proto.Query;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.QueryDatasetResponse;
import io.rrdflight.server.redap.proto.QueryLatestAt;
import io.rrdflight.server.redap.proto.QueryRange;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QueryDataset sends only the chunks a query needs, and FetchChunks streams exactly those from the
 * file: counted here in chunks and bytes against what Rerun's server sends for the same request
 * (every chunk of the partition's requested entities, which is what the request without a query
 * gets). The requests are the ones rerun-sdk 0.27.3 builds for a view with {@code filter_range}
 * and {@code fill_latest_at}; that the client then computes the same answer is checked against
 * Rerun itself in test_rerun_catalog.py.
 */
class RerunCloudPruningIT {
  @TempDir static Path dataDir;
  static ServerProcess server;
  static ManagedChannel channel;
  static final BufferAllocator allocator = new RootAllocator();

  /** The largest recording of the fixture dataset: many chunks over a long log_time span. */
  static final String FILE = "rec-dataset-04.rrd";
  static final String TIMELINE = "log_time";

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", Fixtures.path("dataset").toString());
    channel = ServerClients.asRerun027(server.port()).build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    allocator.close();
  }

  static RerunCloudServiceGrpc.RerunCloudServiceBlockingStub dataset() {
    var stub = RerunCloudServiceGrpc.newBlockingStub(channel);
    var entry = stub.findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.newBuilder().setName("dataset")).build()).getEntries(0);
    Metadata headers = new Metadata();
    headers.put(EntryIdHeader.ENTRY_ID, ProtoValues.fromProto(entry.getId()).toHex());
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** What one request cost: chunk-info rows, then chunks and bytes streamed, and the largest message. */
  record Sent(int rows, int chunks, long bytes, long largestMessage, Set<String> recordingIds) {}

  static Sent run(QueryDatasetRequest request) {
    var stub = dataset();
    List<DataframePart> parts = new ArrayList<>();
    int rows = 0;
    for (var it = stub.queryDataset(request); it.hasNext(); ) {
      QueryDatasetResponse r = it.next();
      parts.add(r.getData());
      rows += RowCount.of(r.getData(), allocator);
    }
    int chunks = 0;
    long bytes = 0;
    long largest = 0;
    Set<String> recordings = new TreeSet<>();
    for (var it = stub.fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(parts).build()); it.hasNext(); ) {
      FetchChunksResponse r = it.next();
      largest = Math.max(largest, r.getSerializedSize());
      for (ArrowMsg m : r.getChunksList()) {
        chunks++;
        bytes += m.getSerializedSize();
        recordings.add(m.getStoreId().getRecordingId());
      }
    }
    return new Sent(rows, chunks, bytes, largest, recordings);
  }

  @Test
  void aNarrowRangeWithLatestAtFillSendsFewerChunksAndBytesThanRerunsServer() throws Exception {
    ChunkIndex index = ChunkIndex.build(Fixtures.path("dataset").resolve(FILE), allocator);
    String pid = index.recordings().get(0).recordingId();
    List<IndexedChunk> chunks = index.chunksOf(index.recordings().get(0).id());
    Timeline timeline = chunks.stream().flatMap(c -> c.timeRanges().keySet().stream()).filter(t -> t.name().equals(TIMELINE)).findFirst().orElseThrow();
    IndexRange span = chunks.stream().map(c -> c.timeRanges().get(timeline)).filter(r -> r != null).reduce(IndexRange::span).orElseThrow();
    long s = span.min() + (span.max() - span.min()) * 45 / 100;
    long e = span.min() + (span.max() - span.min()) * 55 / 100;
    List<String> entities = chunks.stream().map(IndexedChunk::entityPath).filter(p -> !p.startsWith("/__properties")).distinct().sorted().toList();

    QueryDatasetRequest.Builder sdkRequest = QueryDatasetRequest.newBuilder()
        .addPartitionIds(PartitionId.newBuilder().setId(pid))
        .setQuery(Query.newBuilder()
            .setLatestAt(QueryLatestAt.newBuilder().setIndex(selector(TIMELINE)).setAt(s))
            .setRange(QueryRange.newBuilder().setIndex(selector(TIMELINE)).setIndexRange(TimeRange.newBuilder().setStart(s).setEnd(e))));
    entities.forEach(p -> sdkRequest.addEntityPaths(EntityPath.newBuilder().setPath(p)));
    Sent pruned = run(sdkRequest.build());
    // Rerun's server ignores the query: the same request without it is what it sends.
    Sent everything = run(sdkRequest.clearQuery().build());

    System.out.printf("pruning %s [%d, %d] of %s: %d of %d chunks, %d of %d bytes%n", FILE, s, e, TIMELINE,
        pruned.chunks(), everything.chunks(), pruned.bytes(), everything.bytes());
    assertEquals(pruned.rows(), pruned.chunks(), "FetchChunks sends each chunk QueryDataset named, once");
    assertEquals(everything.rows(), everything.chunks());
    long partitionChunks = chunks.stream().filter(c -> entities.contains(c.entityPath())).count();
    assertEquals(partitionChunks, everything.chunks(), "without a query, every chunk of the requested entities");
    assertTrue(pruned.chunks() * 2 < everything.chunks(), "a 10% window needs far fewer chunks: " + pruned + " vs " + everything);
    assertTrue(pruned.bytes() * 2 < everything.bytes(), "and far fewer bytes: " + pruned + " vs " + everything);
    long statics = chunks.stream().filter(c -> c.isStatic() && entities.contains(c.entityPath())).count();
    assertTrue(statics > 0 && pruned.chunks() >= statics, "static chunks are always sent");
    assertEquals(Set.of(pid), pruned.recordingIds(), "every chunk names its partition as the client needs");
  }

  @Test
  void fetchChunksForwardsTheFilesOwnChunksInBoundedMessages() throws Exception {
    ChunkIndex index = ChunkIndex.build(Fixtures.path("dataset").resolve(FILE), allocator);
    String pid = index.recordings().get(0).recordingId();
    Sent all = run(QueryDatasetRequest.newBuilder().addPartitionIds(PartitionId.newBuilder().setId(pid)).setSelectAllEntityPaths(true).build());
    List<IndexedChunk> chunks = index.chunksOf(index.recordings().get(0).id());
    assertEquals(chunks.size(), all.chunks());
    // The file's own ArrowMsg bytes, untouched: the sum of their lengths in the file.
    assertEquals(chunks.stream().mapToLong(IndexedChunk::length).sum(), all.bytes());
    assertTrue(all.largestMessage() <= ChunkFetch.TARGET_MESSAGE_BYTES + chunks.stream().mapToLong(IndexedChunk::length).max().orElse(0) + 64);
  }

  private static IndexColumnSelector selector(String timeline) {
    return IndexColumnSelector.newBuilder().setTimeline(io.rrdflight.rrd.proto.Timeline.newBuilder().setName(timeline)).build();
  }
}
