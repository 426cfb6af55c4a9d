package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.proto.DataframePart;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
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

  /** Streams the needed chunks' rows, each message made by {@code message} from a part. */
  <T> void query(Dataset dataset, ChunkRequest query, Vocabulary vocabulary, StreamObserver<T> observer, Function<DataframePart, T> message) {
    List<Partition> partitions = partitions(dataset, query.partitionIds());
    FlowControlledSender<T> sender = new FlowControlledSender<>(observer);
    executor.execute(() -> {
      try {
        stream(query, partitions, vocabulary, sender, message);
      } catch (RuntimeException e) {
        sender.fail(e, "QueryDataset");
      }
    });
  }

  private <T> void stream(ChunkRequest query, List<Partition> partitions, Vocabulary vocabulary, FlowControlledSender<T> sender,
      Function<DataframePart, T> message) {
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
          if (!send(pending, vocabulary, query.timeline(), sender, message)) {
            return;
          }
          sentAny = true;
        }
      }
    }
    if ((!pending.isEmpty() || !sentAny) && !send(pending, vocabulary, query.timeline(), sender, message)) {
      return;
    }
    chunksConsidered.add(considered);
    chunksSelected.add(selected);
    log.debug("QueryDataset: {} of {} chunks in {} partition(s) needed", selected, considered, partitions.size());
    sender.complete();
  }

  private <T> boolean send(List<ChunkInfo.Row> rows, Vocabulary vocabulary, Optional<String> timeline, FlowControlledSender<T> sender,
      Function<DataframePart, T> message) {
    T part = message.apply(ChunkInfo.batch(rows, vocabulary, timeline, allocator));
    rows.clear();
    return sender.send(part);
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
