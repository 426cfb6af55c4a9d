package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Empty;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.rrdflight.catalog.DatasetSchema;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.SegmentId;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.redap.wire.segments.ContentSelection;
import io.rrdflight.server.redap.wire.segments.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.wire.segments.DataSource;
import io.rrdflight.server.redap.wire.segments.DataSourceKind;
import io.rrdflight.server.redap.wire.segments.FetchChunksRequest;
import io.rrdflight.server.redap.wire.segments.FindChunksRequest;
import io.rrdflight.server.redap.wire.segments.FindEntriesRequest;
import io.rrdflight.server.redap.wire.segments.EntitySelection;
import io.rrdflight.server.redap.wire.segments.EntitySelections;
import io.rrdflight.server.redap.wire.segments.FillMode;
import io.rrdflight.server.redap.wire.segments.DirectUrlMode;
import io.rrdflight.server.redap.wire.segments.RangeSelection;
import io.rrdflight.server.redap.wire.segments.SegmentIds;
import io.rrdflight.server.redap.wire.segments.EntryFilter;
import io.rrdflight.server.redap.wire.segments.GetDatasetSchemaRequest;
import io.rrdflight.server.redap.wire.segments.QueryDatasetRequest;
import io.rrdflight.server.redap.wire.segments.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.wire.segments.ReadDatasetEntryRequest;
import io.rrdflight.server.redap.wire.segments.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc;
import io.rrdflight.server.redap.wire.segments.ScanDatasetManifestRequest;
import io.rrdflight.server.redap.wire.segments.ScanSegmentTableRequest;
import io.rrdflight.server.redap.wire.segments.SegmentSelection;
import io.rrdflight.server.redap.wire.segments.StaticSelection;
import io.rrdflight.server.redap.wire.segments.VersionRequest;
import io.rrdflight.server.redap.wire.segments.WhoAmIRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Makes, over loopback, the catalog calls a rerun-sdk 0.41 client makes on a fresh server — connect
 * (Version, WhoAmI, FindEntries), create a dataset, register files and wait on the task, read the
 * segment table, manifest and schema, find and fetch chunks (all of them, and a reader's window of one
 * segment filled latest-at) — and the first calls of a 0.27 client.
 * Used only by the build's class-data training run ({@code --train-calls}, flight-server/README.md):
 * the archive then holds what these calls load (Netty's HTTP/2 codec, the Rerun protos, the read
 * paths), which a fresh server otherwise reads from the jar on its first calls. Best effort: a call
 * that fails is reported on {@code log} and the rest go on.
 */
public final class TrainingClient {
  private static final Metadata.Key<String> CLIENT_VERSION = ClientVersion.HEADER;

  private final String host;
  private final int port;
  private final PrintStream log;

  public TrainingClient(String host, int port, PrintStream log) {
    this.host = requireNonNull(host, "host");
    this.port = port;
    this.log = requireNonNull(log, "log");
  }

  /**
   * The calls every client opens with and that read nothing of the catalog — Version and WhoAmI in
   * both vocabularies — and a 0.41 client's wait for a task already done, for the warm-up after the
   * banner (cli/ServerWarmup): the first connection's HTTP/2, gRPC and interceptor set-up, and the
   * task table's first answer, then happen before a client's.
   */
  public void greet() {
    ManagedChannel channel = channel("rerun-py/0.41.0");
    ManagedChannel old = channel("rerun-py/0.27.3");
    try {
      RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stub = RerunCloudServiceGrpc.newBlockingStub(channel);
      step("Version", () -> stub.version(VersionRequest.getDefaultInstance()));
      step("WhoAmI", () -> stub.whoAmI(WhoAmIRequest.getDefaultInstance()));
      // A client's wait after its registration: the task table's answer, for the task id that names a task
      // already done (no catalog is touched). Its first answer took 20-30 ms of the server's CPU, most of it
      // code that runs only there (load ~11).
      step("QueryTasksOnCompletion", () -> drain(stub.queryTasksOnCompletion(QueryTasksOnCompletionRequest.newBuilder()
          .addIds(TaskId.newBuilder().setId(SegmentsWire.DONE_TASK_ID)).build())));
      step("Version (0.27)", () -> io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.newBlockingStub(old)
          .version(io.rrdflight.server.redap.proto.VersionRequest.getDefaultInstance()));
    } finally {
      channel.shutdownNow();
      old.shutdownNow();
    }
  }

  /** Registers {@code files} (absolute .rrd paths the server may read) into a new dataset and reads it back. */
  public void run(List<Path> files) {
    requireNonNull(files, "files");
    ManagedChannel channel = channel("rerun-py/0.41.0");
    try (BufferAllocator allocator = new RootAllocator()) {
      RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stub = RerunCloudServiceGrpc.newBlockingStub(channel);
      step("Version", () -> stub.version(VersionRequest.getDefaultInstance()));
      step("WhoAmI", () -> stub.whoAmI(WhoAmIRequest.getDefaultInstance()));
      step("FindEntries", () -> stub.findEntries(FindEntriesRequest.newBuilder().setFilter(EntryFilter.getDefaultInstance()).build()));
      EntryId[] dataset = new EntryId[1];
      step("CreateDatasetEntry", () -> {
        var id = stub.createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName("training-calls").build())
            .getDataset().getDetails().getId().getId();
        dataset[0] = new EntryId(id.getTimeNs(), id.getInc());
      });
      if (dataset[0] == null) {
        return;
      }
      RerunCloudServiceGrpc.RerunCloudServiceBlockingStub entry = stub.withInterceptors(entryHeader(dataset[0]));
      List<TaskId> tasks = new ArrayList<>();
      step("RegisterWithDataset", () -> {
        RegisterWithDatasetRequest.Builder request = RegisterWithDatasetRequest.newBuilder();
        files.forEach(f -> request.addDataSources(DataSource.newBuilder().setStorageUrl(f.toUri().toString())
            .setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD)));
        tasks.addAll(taskIds(entry.registerWithDataset(request.build()).getData(), allocator));
      });
      step("QueryTasksOnCompletion", () -> drain(entry.withDeadlineAfter(120, TimeUnit.SECONDS)
          .queryTasksOnCompletion(QueryTasksOnCompletionRequest.newBuilder().addAllIds(tasks).build())));
      step("ReadDatasetEntry", () -> entry.readDatasetEntry(ReadDatasetEntryRequest.getDefaultInstance()));
      step("ScanSegmentTable", () -> drain(entry.scanSegmentTable(ScanSegmentTableRequest.getDefaultInstance())));
      step("ScanDatasetManifest", () -> drain(entry.scanDatasetManifest(ScanDatasetManifestRequest.getDefaultInstance())));
      step("GetDatasetSchema", () -> entry.getDatasetSchema(GetDatasetSchemaRequest.getDefaultInstance()));
      step("QueryDataset + FetchChunks", () -> {
        List<DataframePart> chunks = new ArrayList<>();
        entry.queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build())
            .forEachRemaining(r -> chunks.add(r.getData()));
        drain(entry.fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunks).build()));
      });
      step("FindChunks + FetchChunks", () -> {
        List<DataframePart> chunks = new ArrayList<>();
        entry.findChunks(FindChunksRequest.newBuilder()
                .setContents(ContentSelection.newBuilder().setAll(Empty.getDefaultInstance()))
                .setStatic(StaticSelection.newBuilder().setSegments(SegmentSelection.newBuilder().setAll(Empty.getDefaultInstance())))
                .build())
            .forEachRemaining(r -> chunks.add(r.getData()));
        drain(entry.fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunks).build()));
      });
      step("FindChunks + FetchChunks (a reader: its entities, one segment, a range filled latest-at)", () -> readerWindow(entry, allocator));
    } finally {
      channel.shutdownNow();
    }
    ManagedChannel old = channel("rerun-py/0.27.3");
    try {
      var stub = io.rrdflight.server.redap.proto.RerunCloudServiceGrpc.newBlockingStub(old);
      step("Version (0.27)", () -> stub.version(io.rrdflight.server.redap.proto.VersionRequest.getDefaultInstance()));
      step("FindEntries (0.27)", () -> stub.findEntries(io.rrdflight.server.redap.proto.FindEntriesRequest.newBuilder()
          .setFilter(io.rrdflight.server.redap.proto.EntryFilter.getDefaultInstance()).build()));
    } finally {
      old.shutdownNow();
    }
  }

  /**
   * What rerun-sdk 0.41's {@code reader(index=…, fill_latest_at=True)} with a filter on the index asks
   * for one segment: FindChunks naming the dataset's entities, the segment and a range on a timeline to
   * fill latest-at, then FetchChunks of what it found. The window is a made-up one (from 0 on): the
   * planner's range and latest-at rules run whatever it holds.
   */
  private static void readerWindow(RerunCloudServiceGrpc.RerunCloudServiceBlockingStub entry, BufferAllocator allocator) throws IOException {
    Schema schema = schema(entry.getDatasetSchema(GetDatasetSchemaRequest.getDefaultInstance()).getSchema().getArrowSchema().toByteArray(), allocator);
    String timeline = null;
    EntitySelections.Builder entities = EntitySelections.newBuilder();
    Set<String> paths = new LinkedHashSet<>();
    for (Field field : schema.getFields()) {
      String kind = field.getMetadata().get(DatasetSchema.KIND);
      String path = field.getMetadata().get(DatasetSchema.ENTITY_PATH);
      if ("index".equals(kind) && timeline == null) {
        timeline = field.getName();
      } else if ("data".equals(kind) && path != null && paths.add(path)) {
        entities.addEntities(EntitySelection.newBuilder().setEntityPath(EntityPath.newBuilder().setPath(path)).setAll(Empty.getDefaultInstance()));
      }
    }
    List<String> segments = new ArrayList<>();
    entry.scanSegmentTable(ScanSegmentTableRequest.newBuilder().addColumns("rerun_segment_id").build())
        .forEachRemaining(r -> segments.addAll(strings(r.getData(), "rerun_segment_id", allocator)));
    if (timeline == null || segments.isEmpty()) {
      return;
    }
    List<DataframePart> chunks = new ArrayList<>();
    entry.findChunks(FindChunksRequest.newBuilder()
            .setContents(ContentSelection.newBuilder().setExplicit(entities))
            .setRange(RangeSelection.newBuilder().setTimeline(timeline).setStartInclusive(0).setEndInclusive(Long.MAX_VALUE)
                .setFillMode(FillMode.FILL_MODE_LATEST_AT)
                .setSegments(SegmentSelection.newBuilder().setExplicit(SegmentIds.newBuilder().addIds(SegmentId.newBuilder().setId(segments.get(0))))))
            .setDirectUrlMode(DirectUrlMode.DIRECT_URL_MODE_SIGNED)
            .build())
        .forEachRemaining(r -> chunks.add(r.getData()));
    drain(entry.fetchChunks(FetchChunksRequest.newBuilder().addAllChunkInfos(chunks).build()));
  }

  private static Schema schema(byte[] ipcStream, BufferAllocator allocator) throws IOException {
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipcStream), allocator)) {
      return reader.getVectorSchemaRoot().getSchema();
    }
  }

  private ManagedChannel channel(String clientVersion) {
    Metadata headers = new Metadata();
    headers.put(CLIENT_VERSION, clientVersion);
    return NettyChannelBuilder.forAddress(host, port).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
        .build();
  }

  private static io.grpc.ClientInterceptor entryHeader(EntryId id) {
    Metadata headers = new Metadata();
    headers.put(EntryIdHeader.ENTRY_ID, id.toHex());
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  /** The task ids in a RegisterWithDataset answer (a table with a rerun_task_id column). */
  private static List<TaskId> taskIds(DataframePart part, BufferAllocator allocator) {
    return strings(part, "rerun_task_id", allocator).stream().map(id -> TaskId.newBuilder().setId(id).build()).toList();
  }

  /** The values of a text column of a table the server answered with. */
  private static List<String> strings(DataframePart part, String column, BufferAllocator allocator) {
    List<String> values = new ArrayList<>();
    try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ArrowIpc.payload(part, column)), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        VarCharVector vector = (VarCharVector) root.getVector(column);
        for (int i = 0; i < root.getRowCount(); i++) {
          values.add(vector.getObject(i).toString());
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return values;
  }

  private static void drain(Iterator<?> responses) {
    responses.forEachRemaining(r -> {});
  }

  private interface Call {
    void run() throws Exception;
  }

  private void step(String name, Call call) {
    try {
      call.run();
    } catch (Exception e) {
      log.println("training call " + name + " failed (ignored): " + e);
    }
  }
}
