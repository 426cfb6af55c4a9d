package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.server.QueryAdmission;
import java.util.concurrent.ExecutorService;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What both wires of the Rerun door answer from: the catalog and the classes that build each answer
 * in terms of datasets, segments, tasks and chunks. A wire only translates requests into calls on
 * these and their results into its own messages and words ({@link Vocabulary}).
 */
final class RerunModel {
  final Catalog catalog;
  final BufferAllocator allocator;
  final ArrowIpc ipc;
  final Entries entries;
  final TableEntries tableEntries;
  final Registration registration;
  final TaskCompletion taskCompletion;
  final DatasetTables tables;
  final DatasetQuery datasetQuery;
  final ChunkFetch chunkFetch;
  final SegmentManifest segmentManifest;
  final SegmentPropertyBatches segmentProperties;
  final AssetsForSegment assetsForSegment;
  final String version;

  /**
   * @param allocator used for every answer; owned by the caller
   * @param executor runs waits and streams off the gRPC threads; owned by the caller
   * @param admission the server's one admission (shared with Flight SQL): QueryDataset, FindChunks and
   *     ScanTable of a Lance table take slots from it; FetchChunks, a part of a client's query, waits for a turn at a gate under the same limits
   */
  RerunModel(Catalog catalog, BufferAllocator allocator, ExecutorService executor, QueryAdmission admission, RecordingProbe probe,
      int fetchMessageBytes, String version) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    requireNonNull(executor, "executor is null");
    this.version = requireNonNull(version, "version is null");
    this.ipc = new ArrowIpc(allocator);
    this.entries = new Entries(catalog);
    this.tableEntries = new TableEntries(catalog, entries, allocator, executor, admission);
    this.registration = new Registration(catalog, probe, executor);
    this.taskCompletion = new TaskCompletion(catalog, executor, allocator);
    this.tables = new DatasetTables(catalog, allocator);
    this.datasetQuery = new DatasetQuery(catalog, executor, admission, allocator);
    this.chunkFetch = new ChunkFetch(catalog, ipc, executor, admission.streamGate(ChunkFetch.MAX_STREAMS), allocator, fetchMessageBytes);
    this.segmentManifest = new SegmentManifest(catalog, ipc);
    this.segmentProperties = new SegmentPropertyBatches(catalog, ipc);
    this.assetsForSegment = new AssetsForSegment(catalog, ipc);
  }
}
