package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.stub.StreamObserver;
import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.CatalogException;
import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ArrowMsgs;
import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.proto.ApplicationId;
import io.rrdflight.rrd.proto.ArrowMsg;
import io.rrdflight.rrd.proto.DataframePart;
import io.rrdflight.rrd.proto.StoreId;
import io.rrdflight.rrd.proto.StoreKind;
import io.rrdflight.server.QueryAdmission;
import io.rrdflight.sql.QueryContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarBinaryVector;

/**
 * FetchChunks: streams the chunks named by the {@code chunk_key} column of the client's chunk-info
 * rows straight from the registered .rrd files. Each chunk is the file's own ArrowMsg (usually
 * LZ4-compressed, as written), read with one positional read; only its store id is rewritten when it
 * does not name the partition as the client expects. Chunks are packed into messages of about
 * {@link #TARGET_MESSAGE_BYTES} (a bigger chunk goes alone), sent as fast as the client takes them.
 *
 * <p>A FetchChunks is a part of a client's query, not a query of its own: Rerun's reader opens up to
 * 24 at once per scan and does not retry them on RESOURCE_EXHAUSTED. So they pass a gate of their
 * own ({@link QueryAdmission#streamGate}, {@link #MAX_STREAMS} sending at once; the number bounds the
 * server's memory, each holding up to two messages of chunks) instead of the server's query slots:
 * the others wait for a turn, without a thread. Waiting and streaming share the call's --query-timeout, after which it
 * ends with DEADLINE_EXCEEDED; a client that cancels frees its thread and its turn.
 */
final class ChunkFetch {
  /** Large enough to amortise per-message overhead, small enough to never hold much in memory. */
  static final int TARGET_MESSAGE_BYTES = 1 << 20;
  /** Streams sending at once: enough to keep a disk or object store busy, few enough to bound memory. */
  static final int MAX_STREAMS = 4;
  /** The column of QueryDataset's rows that FetchChunks reads; the others travel along unread. */
  private static final String CHUNK_KEY = "chunk_key";

  private final Catalog catalog;
  private final ArrowIpc ipc;
  private final ExecutorService executor;
  private final QueryAdmission gate;
  private final BufferAllocator allocator;
  private final int targetMessageBytes;
  /**
   * Message arrays of finished streams, for the next ones: the 0.41 client's read of 16 recordings
   * opens hundreds of streams, and an array of its own for each is garbage. At most one per stream
   * sending at once is kept (up to {@link #MAX_STREAMS} × {@link MessageBytes#SPARE_FACTOR} × {@link #targetMessageBytes}).
   */
  private final BlockingQueue<byte[]> spareArrays = new ArrayBlockingQueue<>(MAX_STREAMS);
  /** Totals since start: what the pruning test and the logs look at. */
  final LongAdder chunksSent = new LongAdder();
  final LongAdder bytesSent = new LongAdder();

  /**
   * @param gate the turns of FetchChunks streams ({@link QueryAdmission#streamGate}), not the server's query slots
   * @param allocator the parent of each stream's own (its limit is the query memory budget)
   */
  ChunkFetch(Catalog catalog, ArrowIpc ipc, ExecutorService executor, QueryAdmission gate, BufferAllocator allocator,
      int targetMessageBytes) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.ipc = requireNonNull(ipc, "ipc is null");
    this.executor = requireNonNull(executor, "executor is null");
    this.gate = requireNonNull(gate, "gate is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
    if (targetMessageBytes <= 0) {
      throw new IllegalArgumentException("targetMessageBytes must be positive: " + targetMessageBytes);
    }
    this.targetMessageBytes = targetMessageBytes;
  }

  /** Streams the chunks the rows of {@code chunkInfos} name, each message made by {@code message}. */
  <T> void fetch(List<DataframePart> chunkInfos, StreamObserver<T> observer, Function<List<ArrowMsg>, T> message) {
    List<ChunkKey> keys = new ArrayList<>();
    for (DataframePart part : chunkInfos) {
      ipc.readBatches(part, "FetchChunks chunk_infos", batch -> {
        if (!(batch.getVector(CHUNK_KEY) instanceof VarBinaryVector column)) {
          throw CatalogStatus.invalidArgument("FetchChunks: chunk_infos need a Binary column '" + CHUNK_KEY
              + "' (the rows QueryDataset answered); got " + batch.getSchema());
        }
        for (int row = 0; row < batch.getRowCount(); row++) {
          if (column.isNull(row)) {
            throw CatalogStatus.invalidArgument("FetchChunks: chunk_key is null in row " + row);
          }
          keys.add(ChunkKey.decode(column.get(row)));
        }
      });
    }
    FlowControlledSender<T> sender = new FlowControlledSender<>(observer);
    // A call waiting for its turn is a queue entry, not a parked thread: a thread is taken when it streams.
    gate.admitWhenFree(allocator, sender::cancelled, executor, query -> {
      try (query; QueryContext.Binding bound = query.context().bind()) {
        stream(keys, sender, message, query.context());
      } catch (RuntimeException | IOException | Error e) {
        sender.fail(e, "FetchChunks"); // Errors too: see DatasetQuery#query
      }
    }, refused -> sender.fail(refused, "FetchChunks"));
  }

  /** Reads the chunks file by file, in the order asked, and sends them in bounded messages. */
  private <T> void stream(List<ChunkKey> keys, FlowControlledSender<T> sender, Function<List<ArrowMsg>, T> wrap, QueryContext query)
      throws IOException {
    Map<ChunkKey, Partition> partitions = resolve(keys);
    Map<Partition, List<ChunkKey>> byFile = new LinkedHashMap<>();
    keys.forEach(k -> byFile.computeIfAbsent(partitions.get(k), p -> new ArrayList<>()).add(k));
    MessageBytes stored = new MessageBytes(targetMessageBytes, spareArrays);
    try {
      streamFiles(byFile, stored, sender, wrap, query);
    } finally {
      // Every message that aliased the array was sent (and so copied out) or dropped unsent.
      stored.release();
    }
  }

  private <T> void streamFiles(Map<Partition, List<ChunkKey>> byFile, MessageBytes stored, FlowControlledSender<T> sender,
      Function<List<ArrowMsg>, T> wrap, QueryContext query) throws IOException {
    List<ArrowMsg> message = new ArrayList<>();
    long messageBytes = 0;
    for (Map.Entry<Partition, List<ChunkKey>> file : byFile.entrySet()) {
      Partition partition = file.getKey();
      try (RecordingSource source = catalog.openSource(partition)) {
        // Object storage fetches the chunks ahead, several at once; a local file ignores this.
        source.prefetch(file.getValue().stream().filter(k -> k.offset() >= 0 && k.length() >= 0)
            .map(k -> new long[] {k.offset(), k.length()}).toList());
        for (ChunkKey key : file.getValue()) {
          // The client hanging up, or the deadline, stops the reads too, not only the sends.
          if (sender.cancelled()) {
            return;
          }
          query.check();
          // The message is sent before the chunk that would overflow it is read: that chunk's bytes
          // may then take the place of the message's, which gRPC has copied out by then.
          if (messageBytes > 0 && messageBytes + key.length() > targetMessageBytes) {
            if (!sender.send(wrap.apply(message))) {
              return;
            }
            message = new ArrayList<>();
            messageBytes = 0;
            stored.reuse();
          }
          ArrowMsg chunk = read(source, key, partition, stored);
          int size = chunk.getSerializedSize();
          message.add(chunk);
          messageBytes += size;
          chunksSent.increment();
          bytesSent.add(size);
        }
      }
    }
    if (messageBytes > 0 && !sender.send(wrap.apply(message))) {
      return;
    }
    sender.complete();
  }

  /** The catalog partition (file) of every key; NOT_FOUND names a partition that is gone. */
  private Map<ChunkKey, Partition> resolve(List<ChunkKey> keys) {
    record Layer(io.rrdflight.catalog.EntryId dataset, String partitionId, String layer) {}
    Map<Layer, Partition> known = new HashMap<>();
    Map<ChunkKey, Partition> result = new HashMap<>();
    for (ChunkKey key : keys) {
      Partition p = known.computeIfAbsent(new Layer(key.datasetId(), key.partitionId(), key.layer()), l -> {
        try {
          return catalog.partition(l.dataset(), l.partitionId(), l.layer());
        } catch (CatalogException e) {
          throw CatalogException.notFound(e.getMessage() + "; it changed since the query, run it again");
        }
      });
      result.put(key, fileOf(key, p));
    }
    return result;
  }

  /**
   * The partition as the key's span needs it: read from its compacted copy, or from its own file
   * (which still governs, so keys a query made before the partition switched to its copy stay good).
   */
  private static Partition fileOf(ChunkKey key, Partition current) {
    if (!key.fromCopy()) {
      return current.withCompacted(java.util.Optional.empty());
    }
    if (current.compacted().isEmpty()) {
      throw CatalogException.notFound("Partition " + key.partitionId() + " no longer reads from the compacted copy the query saw; "
          + "it changed since the query, run it again");
    }
    return current;
  }

  private static ArrowMsg read(RecordingSource source, ChunkKey key, Partition partition, MessageBytes stored) throws IOException {
    if (key.offset() < 0 || key.length() < 0 || key.length() > Integer.MAX_VALUE - 64 || key.offset() + key.length() > source.size()) {
      throw CatalogStatus.invalidArgument("chunk_key names bytes " + key.offset() + "+" + key.length() + " outside "
          + partition.file().location() + " (" + source.size() + " bytes)");
    }
    ByteBuffer buffer = stored.take((int) key.length());
    try {
      source.readFully(key.offset(), buffer);
    } catch (IOException e) {
      throw Catalog.readFailure(partition, "cannot read the chunk at byte " + key.offset() + " of " + partition.file().location(), e);
    }
    buffer.flip();
    ArrowMsg msg;
    try {
      msg = ArrowMsgs.parseKeepingPayload(buffer);
    } catch (InvalidProtocolBufferException e) {
      throw CatalogStatus.invalidArgument("chunk_key does not point at a chunk of " + partition.file().location() + " (byte " + key.offset() + ")");
    }
    if (msg.hasChunkId() && (key.chunkTimeNs() != 0 || key.chunkInc() != 0)
        && (msg.getChunkId().getTimeNs() != key.chunkTimeNs() || msg.getChunkId().getInc() != key.chunkInc())) {
      throw CatalogStatus.invalidArgument("chunk_key does not match the chunk at byte " + key.offset() + " of " + partition.file().location());
    }
    return withPartitionStore(msg, key);
  }

  /**
   * Where the chunks of the message being made are read, one after another in one array that the
   * next message reuses: a stream then makes no garbage per chunk (the 0.41 client's read of 16
   * recordings made 2 GB of it, which the collector kept heap for). The parsed chunks alias these
   * bytes, so {@link #reuse} is called only once gRPC has copied the message out: its Netty transport
   * serialises a message inside {@code sendMessage}. A chunk that does not fit gets an array of its
   * own; the array grows to the largest chunk up to {@link #KEPT_BYTES}, so a stream keeps at most that.
   * It grows in steps of a quarter of the usual size: the 0.41 writer's chunks are a little over
   * 1 MiB each and differ by a few bytes, and growing to each bigger one exactly made a new array
   * for every fourth chunk. The first array comes from {@code spares} when one there is big enough,
   * and goes back at {@link #release} unless it grew past {@link #SPARE_FACTOR} times the usual size,
   * so the spares stay small.
   */
  static final class MessageBytes {
    static final int KEPT_BYTES = 8 << 20;
    /** Arrays up to this many times the usual size go back to the spares. */
    static final int SPARE_FACTOR = 2;
    private final int initial;
    private final int step;
    private final BlockingQueue<byte[]> spares;
    private byte[] bytes;
    private int used;

    MessageBytes(int initial, BlockingQueue<byte[]> spares) {
      this.initial = Math.min(initial, KEPT_BYTES);
      this.step = Math.max(1, this.initial / 4);
      this.spares = requireNonNull(spares, "spares is null");
    }

    /** A heap buffer of {@code length} bytes (position 0, limit {@code length}) that is not handed out again before {@link #reuse}. */
    ByteBuffer take(int length) {
      if (bytes == null || length > bytes.length - used) {
        if (used > 0 || length > KEPT_BYTES) {
          return ByteBuffer.allocate(length);
        }
        bytes = spareOrNew(length);
      }
      ByteBuffer region = ByteBuffer.wrap(bytes, used, length).slice();
      used += length;
      return region;
    }

    private byte[] spareOrNew(int length) {
      if (bytes == null) {
        byte[] spare = spares.poll();
        if (spare != null && spare.length >= length) {
          return spare;
        }
        if (spare != null) {
          spares.offer(spare); // too small for this chunk, not for the next stream
        }
      }
      long size = (Math.max((long) initial, length) + step - 1) / step * step;
      return new byte[(int) Math.min(size, KEPT_BYTES)];
    }

    /** Every buffer taken so far is free again: the message that held them was sent. */
    void reuse() {
      used = 0;
    }

    /** The stream is over and nothing it read is used any more: the array is left for the next stream. */
    void release() {
      if (bytes != null && bytes.length <= (long) SPARE_FACTOR * initial) {
        spares.offer(bytes); // full: more streams ended than send at once; this one is garbage
      }
      bytes = null;
      used = 0;
    }
  }

  /**
   * The client files each chunk under {@code store_id.recording_id}, which must be the partition id,
   * and needs a complete store id. Files already say so; legacy writers (before 0.25) leave the
   * application id out, which is filled with the dataset id as Rerun's server does.
   */
  static ArrowMsg withPartitionStore(ArrowMsg msg, ChunkKey key) {
    StoreId store = msg.getStoreId();
    boolean fine = msg.hasStoreId() && store.getKind() == StoreKind.STORE_KIND_RECORDING
        && store.getRecordingId().equals(key.partitionId()) && !store.getApplicationId().getId().isEmpty();
    if (fine) {
      return msg;
    }
    String application = store.getApplicationId().getId().isEmpty() ? key.datasetId().toHex() : store.getApplicationId().getId();
    return msg.toBuilder().setStoreId(StoreId.newBuilder()
        .setKind(StoreKind.STORE_KIND_RECORDING)
        .setRecordingId(key.partitionId())
        .setApplicationId(ApplicationId.newBuilder().setId(application)))
        .build();
  }
}
