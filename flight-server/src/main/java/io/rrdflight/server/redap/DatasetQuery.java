package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.ChunkPlan;
import io.rrdflight.catalog.ChunkPlan.Components;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Segments;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.catalog.ChunkPlanner;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.server.AdmittedQuery;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.server.redap.proto.Query;
import io.rrdflight.sql.QueryContext;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QueryDataset: the request translated into the catalog's {@link ChunkPlan.Request}, the chunks of
 * the requested partitions that it needs ({@link ChunkPlanner}), streamed as chunk-info rows
 * ({@link ChunkInfo}), a bounded number per message. Always at least one message: the SDK's
 * {@code get_chunk_ids()} fails on an answer without any.
 *
 * <p>Each stream is admitted by the server's {@link QueryAdmission}, as SQL queries are, and runs
 * with its own allocator (the query memory budget) and deadline (--query-timeout).
 */
final class DatasetQuery {
  private static final Logger log = LoggerFactory.getLogger(DatasetQuery.class);

  private final Catalog catalog;
  private final ExecutorService executor;
  private final QueryAdmission admission;
  private final BufferAllocator allocator;
  /** Totals since start, for logs and tests: chunks the partitions had, and chunks answered. */
  final LongAdder chunksConsidered = new LongAdder();
  final LongAdder chunksSelected = new LongAdder();

  /** @param allocator the parent of each stream's own (its limit is the query memory budget) */
  DatasetQuery(Catalog catalog, ExecutorService executor, QueryAdmission admission, BufferAllocator allocator) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.admission = requireNonNull(admission, "admission is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  /**
   * Streams the rows of the chunks {@code request} needs, each message made by {@code message} from a
   * part in the client's {@code vocabulary}; {@code call} names the RPC in errors and logs.
   */
  <T> void query(Dataset dataset, ChunkPlan.Request request, Vocabulary vocabulary, StreamObserver<T> observer,
      Function<DataframePart, T> message, String call) {
    // Resolved here, on the caller's thread, so a bad request or an unknown partition fails the
    // call before anything is streamed; the partitions' chunk indexes are read as the stream goes.
    ChunkPlan.Request asked = vocabulary.skipsUnknownSegments() && request.segments() instanceof Segments.Named
        ? request.amongSegments(segmentIds(dataset))
        : request;
    Stream<ChunkPlan.Segment> plan = ChunkPlanner.plan(catalog, dataset, asked);
    Optional<String> timeline = request.time() instanceof Time.OnIndex on ? Optional.of(on.timeline()) : Optional.empty();
    FlowControlledSender<T> sender = new FlowControlledSender<>(observer);
    executor.execute(() -> {
      try (AdmittedQuery query = admission.admit(allocator, sender::cancelled); QueryContext.Binding bound = query.context().bind()) {
        stream(plan, sender, rows -> message.apply(ChunkInfo.batch(rows, vocabulary, timeline, query.allocator())), call, query.context());
      } catch (RuntimeException | Error e) {
        // Errors too, as BatchStreamer does: a stream thread that dies silently leaves its client
        // waiting forever (seen: OutOfMemoryError decoding the indexes of files of many small chunks).
        sender.fail(e, call);
      }
    });
  }

  private Set<String> segmentIds(Dataset dataset) {
    return catalog.partitions(dataset.id()).stream().map(Partition::partitionId).collect(Collectors.toSet());
  }

  private <T> void stream(Stream<ChunkPlan.Segment> plan, FlowControlledSender<T> sender, Function<List<ChunkInfo.Row>, T> message,
      String call, QueryContext query) {
    List<ChunkInfo.Row> pending = new ArrayList<>();
    boolean sentAny = false;
    long considered = 0;
    long selected = 0;
    int partitions = 0;
    for (Iterator<ChunkPlan.Segment> it = plan.iterator(); it.hasNext(); ) {
      if (sender.cancelled()) {
        return;
      }
      query.checkNow(); // once a segment: reading its chunk index may take a while
      ChunkPlan.Segment segment = it.next();
      partitions++;
      considered += segment.chunkCount();
      selected += segment.chunks().size();
      for (IndexedChunk c : segment.chunks()) {
        pending.add(new ChunkInfo.Row(segment.partition(), c));
        if (pending.size() == ChunkInfo.ROWS_PER_MESSAGE) {
          if (!send(pending, sender, message)) {
            return;
          }
          sentAny = true;
        }
      }
    }
    if ((!pending.isEmpty() || !sentAny) && !send(pending, sender, message)) {
      return;
    }
    chunksConsidered.add(considered);
    chunksSelected.add(selected);
    log.debug("{}: {} of {} chunks in {} segment(s) needed", call, selected, considered, partitions);
    sender.complete();
  }

  private static <T> boolean send(List<ChunkInfo.Row> rows, FlowControlledSender<T> sender, Function<List<ChunkInfo.Row>, T> message) {
    T part = message.apply(rows);
    rows.clear();
    return sender.send(part);
  }

  /**
   * The request as the planner's typed request. The SDK's dataframe query sends its view's range
   * as {@code range} and its start as {@code latest_at} (for {@code fill_latest_at}); a static-only
   * view sends a latest-at without an index (or without {@code at}); a view without a time filter
   * sends neither, and then needs every chunk. Entity paths are matched exactly, as Rerun's server
   * does; no paths without {@code select_all_entity_paths} selects nothing (the protocol's
   * definition: the SDK sends that when a view's contents match no entity).
   */
  static ChunkPlan.Request planRequest(QueryDatasetRequest request) {
    if (request.getSelectAllEntityPaths() && request.getEntityPathsCount() > 0) {
      throw CatalogStatus.invalidArgument("QueryDataset: give entity_paths or set select_all_entity_paths, not both");
    }
    Segments segments = request.getPartitionIdsCount() == 0
        ? Segments.all()
        : Segments.named(request.getPartitionIdsList().stream().map(PartitionId::getId).toList());
    Entities entities = request.getSelectAllEntityPaths()
        ? Entities.all()
        : Entities.exactly(request.getEntityPathsList().stream().map(EntityPath::getPath).map(DatasetQuery::normalizedPath).toList());
    Set<ChunkId> chunkIds = request.getChunkIdsList().stream().map(t -> new ChunkId(t.getTimeNs(), t.getInc())).collect(Collectors.toSet());
    return new ChunkPlan.Request(segments, entities, Components.matching(request.getFuzzyDescriptorsList()), chunkIds,
        !request.getExcludeStaticData(), !request.getExcludeTemporalData(), time(request));
  }

  private static Time time(QueryDatasetRequest request) {
    Query q = request.getQuery();
    if (!q.hasRange() && !q.hasLatestAt()) {
      return Time.unbounded();
    }
    Optional<String> rangeIndex = Optional.empty();
    Rows rows = Rows.none();
    if (q.hasRange()) {
      var r = q.getRange();
      if (!r.hasIndex() || r.getIndex().getTimeline().getName().isEmpty()) {
        throw CatalogStatus.invalidArgument("QueryDataset: a range query needs an index (timeline)");
      }
      long min = r.getIndexRange().getStart();
      long max = r.getIndexRange().getEnd();
      if (min > max) {
        throw CatalogStatus.invalidArgument("QueryDataset: range start " + min + " is after its end " + max);
      }
      rangeIndex = Optional.of(r.getIndex().getTimeline().getName());
      rows = Rows.inRange(new IndexRange(min, max));
    }
    Optional<String> latestAtIndex = Optional.empty();
    LatestAt latestAt = LatestAt.none();
    if (q.hasLatestAt()) {
      var l = q.getLatestAt();
      // Without an index or a point the latest-at part asks for static data only, which a query
      // on any index includes anyway.
      if (l.hasIndex() && !l.getIndex().getTimeline().getName().isEmpty() && l.hasAt()) {
        latestAtIndex = Optional.of(l.getIndex().getTimeline().getName());
        latestAt = LatestAt.at(l.getAt());
      }
    }
    if (rangeIndex.isPresent() && latestAtIndex.isPresent() && !rangeIndex.equals(latestAtIndex)) {
      throw CatalogStatus.invalidArgument("QueryDataset: latest_at is on index '" + latestAtIndex.get() + "' but range on '"
          + rangeIndex.get() + "'; give both on the same index");
    }
    if (rangeIndex.isPresent()) {
      return Time.onIndex(rangeIndex.get(), rows, latestAt);
    }
    return latestAtIndex.isPresent() ? Time.onIndex(latestAtIndex.get(), rows, latestAt) : Time.staticOnly();
  }

  /** Entity paths always start with a slash; clients may omit it. */
  static String normalizedPath(String path) {
    return path.startsWith("/") ? path : "/" + path;
  }
}
