package io.rrdflight.server.redap;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.EntryId;
import io.rrdflight.catalog.RecordingIndexer;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.server.ServerLimits;
import io.rrdflight.rrd.proto.IfDuplicateBehavior;
import io.rrdflight.rrd.proto.TaskId;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.DataSource;
import io.rrdflight.server.redap.proto.DataSourceKind;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.QueryTasksOnCompletionRequest;
import io.rrdflight.server.redap.proto.RegisterWithDatasetRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The catalog service alone on a real gRPC (Netty, h2c) server on an ephemeral port, with a catalog
 * in a temporary directory, and a client stub that can name an entry in the x-rerun-entry-id header
 * the way Rerun's clients do. Closing it checks that no Arrow buffer leaked.
 */
final class RerunCloudHarness implements AutoCloseable {
  final BufferAllocator root = new RootAllocator();
  final Catalog catalog;
  final RerunCloudService service;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Server server;
  private final ManagedChannel channel;

  RerunCloudHarness(Path dataDir, RecordingIndexer indexer, RecordingProbe probe) throws IOException {
    this(dataDir, indexer, probe, ChunkFetch.TARGET_MESSAGE_BYTES);
  }

  /** With {@code indexer} null: the real one, reading .rrd files with the rrd module. */
  RerunCloudHarness(Path dataDir, RecordingIndexer indexer, RecordingProbe probe, int fetchMessageBytes) throws IOException {
    this(dataDir, indexer, probe, fetchMessageBytes, ServerLimits.DEFAULTS);
  }

  /** With the admission, deadline and memory budget of {@code limits} on the data streams. */
  RerunCloudHarness(Path dataDir, RecordingIndexer indexer, RecordingProbe probe, int fetchMessageBytes, ServerLimits limits)
      throws IOException {
    catalog = Catalog.open(dataDir, indexer != null ? indexer : new io.rrdflight.catalog.RrdRecordingIndexer(root), 2);
    service = new RerunCloudService(catalog, root.newChildAllocator("rerun-cloud", 0, Long.MAX_VALUE), executor,
        new QueryAdmission(limits), probe, fetchMessageBytes, "9.8.7-test");
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service.definition())
        .fallbackHandlerRegistry(WireRouter.unservedMethods(service.definition().getServiceDescriptor().getName()))
        .build()
        .start();
    // These tests speak the 0.27 vocabulary (its generated stubs), so they say so, as rerun-sdk 0.27 does.
    Metadata version = new Metadata();
    version.put(Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER), "rerun-test/0.27.3");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(version))
        .build();
  }

  /**
   * Creates dataset {@code name}, registers {@code file} in it and waits until it is indexed; returns
   * the dataset's id.
   */
  EntryId datasetWith(String name, Path file) {
    EntryId dataset = ProtoValues.fromProto(stub().createDatasetEntry(CreateDatasetEntryRequest.newBuilder().setName(name).build())
        .getDataset().getDetails().getId());
    var rows = read(stub(dataset).registerWithDataset(RegisterWithDatasetRequest.newBuilder()
        .setOnDuplicate(IfDuplicateBehavior.IF_DUPLICATE_BEHAVIOR_ERROR)
        .addDataSources(DataSource.newBuilder().setStorageUrl(file.toUri().toString()).setTyp(DataSourceKind.DATA_SOURCE_KIND_RRD))
        .build()).getData());
    String task = rows.column("rerun_task_id").get(0).toString();
    stub().queryTasksOnCompletion(QueryTasksOnCompletionRequest.newBuilder().addIds(TaskId.newBuilder().setId(task))
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build()).forEachRemaining(r -> { });
    return dataset;
  }

  /** QueryDataset's chunk-info rows for every chunk of {@code dataset}: what FetchChunks reads. */
  List<DataframePart> allChunkInfos(EntryId dataset) {
    List<DataframePart> parts = new ArrayList<>();
    stub(dataset).queryDataset(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build())
        .forEachRemaining(r -> parts.add(r.getData()));
    return parts;
  }

  RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stub() {
    return RerunCloudServiceGrpc.newBlockingStub(channel);
  }

  /** An asynchronous stub (for flow control), with {@code x-rerun-entry-id: <entry>} when given. */
  RerunCloudServiceGrpc.RerunCloudServiceStub asyncStub(EntryId entry) {
    Metadata headers = new Metadata();
    if (entry != null) {
      headers.put(EntryIdHeader.ENTRY_ID, entry.toHex());
    }
    return RerunCloudServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /**
   * An asynchronous stub on a connection of its own whose HTTP/2 window (stream and connection) is
   * {@code window} bytes and fixed: the server sends no more than that until the client reads.
   */
  RerunCloudServiceGrpc.RerunCloudServiceStub asyncStubWithWindow(int window) {
    Metadata version = new Metadata();
    version.put(Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER), "rerun-test/0.27.3");
    ManagedChannel own = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().flowControlWindow(window)
        .intercept(MetadataUtils.newAttachHeadersInterceptor(version))
        .build();
    extraChannels.add(own);
    return RerunCloudServiceGrpc.newStub(own);
  }

  /** A stub whose calls carry {@code x-rerun-entry-id: <id>}. */
  RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stub(EntryId entry) {
    return stubWithHeader(entry.toHex());
  }

  RerunCloudServiceGrpc.RerunCloudServiceBlockingStub stubWithHeader(String entryIdHeader) {
    Metadata headers = new Metadata();
    headers.put(EntryIdHeader.ENTRY_ID, entryIdHeader);
    return stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /**
   * A stub of the 0.28+ vocabulary whose calls say {@code x-rerun-client-version: <clientVersion>}
   * (none when null) and name {@code entry} in {@code x-rerun-entry-id} when given.
   */
  io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.RerunCloudServiceBlockingStub segmentsStub(String clientVersion, EntryId entry) {
    Metadata headers = new Metadata();
    if (clientVersion != null) {
      headers.put(Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER), clientVersion);
    }
    if (entry != null) {
      headers.put(EntryIdHeader.ENTRY_ID, entry.toHex());
    }
    // A channel of its own: the harness's channel says it is a 0.27 client.
    ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    extraChannels.add(plain);
    return io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.newBlockingStub(plain)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private final List<ManagedChannel> extraChannels = new java.util.concurrent.CopyOnWriteArrayList<>();

  int port() {
    return server.getPort();
  }

  /** A table as its schema and its rows, each row a map of column name to Java value. */
  record Table(Schema schema, List<Map<String, Object>> rows) {
    List<Object> column(String name) {
      return rows.stream().map(r -> r.get(name)).toList();
    }
  }

  Table read(DataframePart part) {
    try (BufferAllocator a = root.newChildAllocator("read", 0, Long.MAX_VALUE);
        ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ArrowIpc.payload(part, "test")), a)) {
      VectorSchemaRoot batch = reader.getVectorSchemaRoot();
      List<Map<String, Object>> rows = new ArrayList<>();
      int batches = 0;
      while (reader.loadNextBatch()) {
        batches++;
        for (int i = 0; i < batch.getRowCount(); i++) {
          Map<String, Object> row = new java.util.LinkedHashMap<>();
          for (FieldVector v : batch.getFieldVectors()) {
            Object value = v.getObject(i);
            row.put(v.getName(), value instanceof org.apache.arrow.vector.util.Text t ? t.toString() : value);
          }
          rows.add(row);
        }
      }
      if (batches != 1) {
        throw new AssertionError("a DataframePart must hold exactly one batch, this one has " + batches);
      }
      return new Table(batch.getSchema(), rows);
    } catch (IOException e) {
      throw new AssertionError("not an Arrow IPC stream", e);
    }
  }

  Schema schema(io.rrdflight.rrd.proto.Schema schema) {
    try (BufferAllocator a = root.newChildAllocator("schema", 0, Long.MAX_VALUE);
        ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(schema.getArrowSchema().toByteArray()), a)) {
      Schema s = reader.getVectorSchemaRoot().getSchema();
      if (reader.loadNextBatch()) {
        throw new AssertionError("a Schema message must hold no batch");
      }
      return s;
    } catch (IOException e) {
      throw new AssertionError("not an Arrow IPC stream", e);
    }
  }

  /** Stops the threads the service lends its waits and helpers: what still answers needs none of them. */
  void stopExecutor() {
    executor.shutdown();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    for (ManagedChannel c : extraChannels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    executor.shutdownNow();
    executor.awaitTermination(5, TimeUnit.SECONDS);
    catalog.close();
    service.close(); // throws if the service leaked buffers
    root.close();
  }
}
