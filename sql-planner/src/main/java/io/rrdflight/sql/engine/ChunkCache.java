package io.rrdflight.sql.engine;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Partition;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexedChunk;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decoded chunks kept across scans, so that a repeated query does not read and decode its chunks
 * again. Bounded in bytes of Arrow buffers, which live in an allocator of the cache's own: a kept
 * chunk counts against this bound only, never against the budget of the queries that use it; a
 * chunk the cache does not keep is decoded into the asking query's allocator, as without a cache.
 * Keyed by partition (which records the file's size and modification time: a changed file is
 * another key, whose old chunks are left alone and go) and chunk id.
 *
 * <p>A chunk a scan still uses is never dropped. A chunk is kept when it fits beside the others;
 * to make room, only chunks no scan used for a minute ({@link #IDLE_BEFORE_DROP_NANOS}) are
 * dropped, least recently used first. So a scan larger than the cache keeps the chunks that fit and decodes the others as
 * before, and its repetition finds the first ones again: least-recently-used would drop, chunk
 * after chunk, exactly what the repetition needs next, and keep nothing it can use. Chunks of
 * another workload replace them once they are left alone for that long.
 *
 * <p>Memory the queries need comes first: {@link #releaseIdle} drops every chunk no scan uses,
 * which the server's allocator calls when an allocation fails, before it retries.
 */
public final class ChunkCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChunkCache.class);

  /** How long a kept chunk stays when nothing uses it, unless memory runs short. */
  static final long IDLE_BEFORE_DROP_NANOS = 60_000_000_000L;

  private record Key(Partition partition, ChunkId chunk) {}

  /** A kept chunk, and how many leases of it are open. */
  private static final class Entry {
    final Key key;
    final ChunkData data;
    final long bytes;
    int users;
    long lastUsedNanos;
    boolean dropped;

    Entry(Key key, ChunkData data, long bytes) {
      this.key = key;
      this.data = data;
      this.bytes = bytes;
    }
  }

  private final long maxBytes;
  private final BufferAllocator allocator;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  /** Bytes of the kept chunks, and of the ones being decoded to be kept (as estimated). */
  private long bytes;
  private final LongSupplier nanoTime;
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  /**
   * Before this time no kept chunk can be dropped: set when {@link #makeRoom} found none droppable. A chunk
   * becomes droppable a minute after its last use, and every use is later than that look, so none can be
   * sooner than the earliest the look saw. Without it, a scan larger than the cache (once the cache is full of
   * chunks it just used) walked every kept chunk, under this lock, for each chunk it did not find: 16% of the
   * samples in the cache's reads of a first GROUP BY over 16 recordings (1,600 chunks read, at -Xmx1g).
   */
  private long noneDroppableBeforeNanos;
  private boolean noneDroppable;

  /**
   * @param maxBytes the bound on the kept chunks' Arrow buffers; 0 keeps nothing
   * @param parent the allocator the cache's own is a child of
   */
  public ChunkCache(long maxBytes, BufferAllocator parent) {
    this(maxBytes, parent, System::nanoTime);
  }

  ChunkCache(long maxBytes, BufferAllocator parent, LongSupplier nanoTime) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
    requireNonNull(parent, "parent is null");
    this.allocator = maxBytes == 0 ? null : parent.newChildAllocator("chunk-cache", 0, Long.MAX_VALUE);
  }

  private ChunkCache() {
    this.maxBytes = 0;
    this.allocator = null;
    this.nanoTime = System::nanoTime;
  }

  /** A cache that keeps nothing: every chunk is decoded into its query's allocator. */
  public static ChunkCache none() {
    return new ChunkCache();
  }

  /** A scan's reads of one partition's chunks: to close once the scan is done with the partition. */
  public Scan scan(Partition partition) {
    return scan(partition, () -> {});
  }

  /**
   * As {@link #scan(Partition)}, running {@code beforeKept} once, before the scan is given its first
   * kept chunk: for a recording whose reads are what check that it is still as registered (an
   * object, whose GETs carry its ETag), a check made in their stead. A scan that decodes every chunk
   * itself never runs it; when it throws, the read fails with that and the cache is left as it was.
   */
  public Scan scan(Partition partition, Runnable beforeKept) {
    return new Scan(requireNonNull(partition, "partition is null"), requireNonNull(beforeKept, "beforeKept is null"));
  }

  /** Reads through the cache for one scan; logs its hits and misses at debug when closed. */
  public final class Scan implements AutoCloseable {
    private final Partition partition;
    private final Runnable beforeKept;
    /** Whether {@code beforeKept} passed; the workers of a parallel scan may each run it once before it has. */
    private volatile boolean checked;
    private final AtomicInteger scanHits = new AtomicInteger();
    private final AtomicInteger scanMisses = new AtomicInteger();

    private Scan(Partition partition, Runnable beforeKept) {
      this.partition = partition;
      this.beforeKept = beforeKept;
    }

    /**
     * The chunk, kept or decoded by {@code decoder} (into the cache's allocator when the cache
     * keeps it, else into {@code queryAllocator}); the caller closes it.
     */
    public ChunkData read(IndexedChunk chunk, BufferAllocator queryAllocator, BiFunction<IndexedChunk, BufferAllocator, ChunkData> decoder) {
      if (!checked && holds(new Key(partition, chunk.id()))) {
        // Outside the cache's lock: the check may be a request. A chunk another scan keeps between
        // this look and the read below was read and checked by that scan just now.
        beforeKept.run();
        checked = true;
      }
      return ChunkCache.this.read(this, chunk, queryAllocator, decoder);
    }

    @Override
    public void close() {
      if (log.isDebugEnabled() && scanHits.get() + scanMisses.get() > 0) {
        log.debug("chunk cache, partition {}: {} hits, {} misses; {} of {} bytes kept", partition.partitionId(), scanHits.get(),
            scanMisses.get(), keptBytes(), maxBytes);
      }
    }
  }

  private ChunkData read(Scan scan, IndexedChunk chunk, BufferAllocator queryAllocator,
      BiFunction<IndexedChunk, BufferAllocator, ChunkData> decoder) {
    Key key = new Key(scan.partition, chunk.id());
    long estimate = chunk.length() * IndexWindows.DECODED_PER_STORED_BYTE;
    boolean keep;
    synchronized (this) {
      Entry kept = entries.get(key);
      if (kept != null) {
        scan.scanHits.incrementAndGet();
        hits.incrementAndGet();
        return lease(kept);
      }
      keep = makeRoom(estimate);
      if (keep) {
        bytes += estimate; // reserved while it is decoded
      }
    }
    scan.scanMisses.incrementAndGet();
    misses.incrementAndGet();
    if (!keep) {
      return decoder.apply(chunk, queryAllocator);
    }
    ChunkData data;
    try {
      data = decoder.apply(chunk, allocator);
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        bytes -= estimate;
      }
      throw e;
    }
    synchronized (this) {
      long actual = data.bytes();
      bytes -= estimate;
      Entry other = entries.get(key);
      if (other == null) { // the usual case; else another scan kept it meanwhile, and this copy goes
        Entry entry = new Entry(key, data, actual);
        bytes += actual;
        entries.put(key, entry);
        return lease(entry);
      }
      data.close();
      return lease(other);
    }
  }

  private synchronized boolean holds(Key key) {
    return entries.containsKey(key);
  }

  /** Holds this. */
  private ChunkData lease(Entry entry) {
    entry.users++;
    entry.lastUsedNanos = nanoTime.getAsLong();
    return entry.data.leased(new Lease(entry));
  }

  /** One use of a kept chunk; closing it twice releases once. */
  private final class Lease implements AutoCloseable {
    private final Entry entry;
    private boolean closed;

    Lease(Entry entry) {
      this.entry = entry;
    }

    @Override
    public void close() {
      synchronized (ChunkCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        entry.lastUsedNanos = nanoTime.getAsLong();
        if (--entry.users == 0 && entry.dropped) {
          entry.data.close();
        }
      }
    }
  }

  /**
   * Drops chunks left alone for {@link #IDLE_BEFORE_DROP_NANOS}, least recently used first, until
   * {@code need} more bytes fit; drops nothing when they cannot fit. Holds this.
   */
  private boolean makeRoom(long need) {
    if (allocator == null || need > maxBytes) {
      return false;
    }
    if (bytes + need <= maxBytes) {
      return true;
    }
    long now = nanoTime.getAsLong();
    if (noneDroppable && now - noneDroppableBeforeNanos < 0) {
      return false;
    }
    noneDroppable = false;
    long droppable = 0;
    long soonest = now + IDLE_BEFORE_DROP_NANOS; // a chunk in use is released now at the earliest
    for (Entry e : entries.values()) {
      if (droppable(e, now)) {
        droppable += e.bytes;
      } else if (e.users == 0 && e.lastUsedNanos + IDLE_BEFORE_DROP_NANOS - soonest < 0) {
        soonest = e.lastUsedNanos + IDLE_BEFORE_DROP_NANOS;
      }
    }
    if (droppable == 0) {
      noneDroppable = true;
      noneDroppableBeforeNanos = soonest;
      return false;
    }
    if (bytes - droppable + need > maxBytes) {
      return false;
    }
    Iterator<Entry> it = entries.values().iterator();
    while (bytes + need > maxBytes && it.hasNext()) {
      Entry e = it.next();
      if (droppable(e, now)) {
        it.remove();
        drop(e);
      }
    }
    return true;
  }

  private static boolean droppable(Entry e, long now) {
    return e.users == 0 && now - e.lastUsedNanos >= IDLE_BEFORE_DROP_NANOS;
  }

  /** Holds this. */
  private void drop(Entry e) {
    bytes -= e.bytes;
    e.dropped = true;
    if (e.users == 0) {
      e.data.close();
    }
  }

  /** Drops every chunk no scan uses (memory is short elsewhere); returns whether any was. */
  public boolean releaseIdle() {
    List<Entry> idle = new ArrayList<>();
    synchronized (this) {
      Iterator<Entry> it = entries.values().iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (e.users == 0) {
          it.remove();
          idle.add(e);
          drop(e);
        }
      }
    }
    if (!idle.isEmpty()) {
      log.debug("chunk cache: {} chunks dropped for memory", idle.size());
    }
    return !idle.isEmpty();
  }

  /** Bytes of the kept chunks. */
  public synchronized long keptBytes() {
    return bytes;
  }

  synchronized int keptChunks() {
    return entries.size();
  }

  long hits() {
    return hits.get();
  }

  long misses() {
    return misses.get();
  }

  /** Drops every kept chunk and closes the cache's allocator: call once no scan runs. */
  @Override
  public void close() {
    synchronized (this) {
      for (Entry e : entries.values()) {
        drop(e);
      }
      entries.clear();
    }
    if (allocator != null) {
      allocator.close();
    }
  }
}
