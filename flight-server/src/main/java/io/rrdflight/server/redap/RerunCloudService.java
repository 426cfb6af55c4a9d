package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerInterceptors;
import io.rrdflight.server.transport.MalformedRequests;
import io.grpc.ServerServiceDefinition;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.server.QueryAdmission;
import java.util.concurrent.ExecutorService;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Rerun's catalog service ({@code rerun.cloud.v1alpha1.RerunCloudService}) on rrdflight's port, for
 * both client generations: one {@link RerunModel} and two wires — {@link PartitionsWire} (rerun-sdk
 * 0.27) and {@link SegmentsWire} (0.28 and later) — merged by the {@link WireRouter}, which picks the
 * wire per call from the client's {@code x-rerun-client-version}.
 */
public final class RerunCloudService implements AutoCloseable {
  private final RerunModel model;
  private final ServerServiceDefinition definition;

  /**
   * @param allocator owned by the service from now on (a child of the server's), closed with it
   * @param executor runs waits and streams off the gRPC threads; owned by the caller
   * @param admission the server's one admission, shared with Flight SQL: QueryDataset and FindChunks
   *     streams run under its slots, deadline and memory budget; FetchChunks under its deadline and
   *     budget, taking turns at a gate of its own (a part of a client's query, not a query)
   */
  public RerunCloudService(Catalog catalog, BufferAllocator allocator, ExecutorService executor, QueryAdmission admission, String version) {
    this(catalog, allocator, executor, admission, new RrdRecordingProbe(), ChunkFetch.TARGET_MESSAGE_BYTES, version);
  }

  RerunCloudService(Catalog catalog, BufferAllocator allocator, ExecutorService executor, QueryAdmission admission, RecordingProbe probe,
      int fetchMessageBytes, String version) {
    this.model = new RerunModel(catalog, allocator, executor, admission, probe, fetchMessageBytes, version);
    EntryIdHeader entryHeaders = new EntryIdHeader();
    // Request bytes that do not parse are INVALID_ARGUMENT with one log line, not gRPC's UNKNOWN.
    this.definition = WireRouter.route(
        MalformedRequests.invalidArgument(ServerInterceptors.intercept(new PartitionsWire(model), entryHeaders)),
        MalformedRequests.invalidArgument(ServerInterceptors.intercept(new SegmentsWire(model), entryHeaders)));
  }

  /** The service to add to a gRPC server: both wires under Rerun's service name. */
  public ServerServiceDefinition definition() {
    return definition;
  }

  /** Chunks and bytes FetchChunks sent since start, and chunks QueryDataset answered out of how many. */
  public record Counters(long chunksSent, long bytesSent, long chunksSelected, long chunksConsidered) {}

  public Counters counters() {
    return new Counters(model.chunkFetch.chunksSent.sum(), model.chunkFetch.bytesSent.sum(), model.datasetQuery.chunksSelected.sum(),
        model.datasetQuery.chunksConsidered.sum());
  }

  @Override
  public void close() {
    requireNonNull(model.allocator, "allocator is null").close();
  }
}
