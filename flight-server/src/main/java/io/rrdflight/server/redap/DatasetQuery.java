package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.QueryDatasetResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QueryDataset: the chunks of the requested partitions that the query needs ({@link NeededChunks}),
 * streamed as chunk-info rows ({@link ChunkInfo}), a bounded number per message. Always at least
 * one message: the SDK's {@code get_chunk_ids()} fails on an answer without any.
 */
final class DatasetQuery {
  private static final Logger log = LoggerFactory.getLogger(DatasetQuery.class);

  private final Catalog catalog;
  private final ExecutorService executor;
  private final BufferAllocator allocator;
  /** Totals since start, for logs and tests: chunks the partitions had, and chunks answered. */
  final LongAdder chunksConsidered = new LongAdder();
  final LongAdder chunksSelected = new LongAdder();

  DatasetQuery(Catalog catalog, ExecutorService executor, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  void query(Dataset dataset, QueryDatasetRequest request, StreamObserver<QueryDatasetResponse> observer) {
    ChunkRequest query = ChunkRequest.of(request);
    List<Partition> partitions = partitions(dataset, query.partitionIds());
    FlowControlledSender<QueryDatasetResponse> sender = new FlowControlledSender<>(observer);
    executor.execute(() -> {
      try {
        stream(query, partitions, sender);
      } catch (RuntimeException e) {
        sender.fail(e, "QueryDataset");
      }
    });
  }

  private void stream(ChunkRequest query, List<Partition> partitions, FlowControlledSender<QueryDatasetResponse> sender) {
    List<ChunkInfo.Row> pending = new ArrayList<>();
    boolean sentAny = false;
    long considered = 0;
    long selected = 0;
    for (Partition partition : partitions) {
      if (sender.cancelled()) {
        return;
      }
      List<IndexedChunk> chunks = catalog.chunks(partition).chunks();
      List<IndexedChunk> needed = NeededChunks.select(query, chunks);
      considered += chunks.size();
      selected += needed.size();
      for (IndexedChunk c : needed) {
        pending.add(new ChunkInfo.Row(partition, c));
        if (pending.size() == ChunkInfo.ROWS_PER_MESSAGE) {
          if (!send(pending, sender)) {
            return;
          }
          sentAny = true;
        }
      }
    }
    if ((!pending.isEmpty() || !sentAny) && !send(pending, sender)) {
      return;
    }
    chunksConsidered.add(considered);
    chunksSelected.add(selected);
    log.debug("QueryDataset: {} of {} chunks in {} partition(s) needed", selected, considered, partitions.size());
    sender.complete();
  }

  private boolean send(List<ChunkInfo.Row> rows, FlowControlledSender<QueryDatasetResponse> sender) {
    QueryDatasetResponse message = QueryDatasetResponse.newBuilder().setData(ChunkInfo.batch(rows, allocator)).build();
    rows.clear();
    return sender.send(message);
  }

  /** The requested partitions (every layer of each), all if none was named; NOT_FOUND names unknown ones. */
  private List<Partition> partitions(Dataset dataset, Set<String> requested) {
    List<Partition> all = catalog.partitions(dataset.id());
    if (requested.isEmpty()) {
      return all;
    }
    Set<String> unknown = new TreeSet<>(requested);
    all.forEach(p -> unknown.remove(p.partitionId()));
    if (!unknown.isEmpty()) {
      throw CatalogStatus.notFound("Dataset '" + dataset.name() + "' has no partition " + String.join(", ", unknown));
    }
    return all.stream().filter(p -> requested.contains(p.partitionId())).toList();
  }
}
