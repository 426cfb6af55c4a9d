package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.RecordingSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A recording in S3-compatible storage, read with ranged GETs that carry the ETag it had when
 * opened ({@code If-Match}), so a changed object fails every read instead of mixing two versions.
 *
 * <p>Two ways to save round trips. Small reads (frame headers, message heads: what a scan and the
 * footer reader do) are served from aligned blocks of {@link #BLOCK} bytes, and when reads walk
 * forward the next block is fetched before it is asked for (read-ahead). Large reads (chunk
 * payloads) go to the store as one GET each; when a reader announces them ({@link #prefetch}), up to
 * {@link #PREFETCH_PARALLEL} GETs run at once, at most {@link #PREFETCH_BYTES} bytes ahead of the
 * reader. Memory per open object is bounded by {@link #CACHED_BLOCKS} blocks plus that window.
 * Announced spans under {@link #PREFETCH_MIN} bytes are left to the blocks: one GET of a block serves
 * many of them when they lie together.
 */
public final class S3Object implements RecordingSource {
  static final int BLOCK = 1 << 20;
  static final int CACHED_BLOCKS = 8;
  static final int PREFETCH_PARALLEL = 8;
  static final long PREFETCH_BYTES = 64L << 20;
  /**
   * The smallest announced span fetched on its own. A scalar chunk of a few hundred kB (what the SDK
   * writes for 10,000 rows) is worth a GET in parallel; a tiny one is cheaper from its block.
   */
  static final long PREFETCH_MIN = 64 << 10;

  private final S3Client client;
  private final S3Location location;
  private final long size;
  private final String etag;
  private final Executor fetchers;
  private final ObjectReads reads;
  /** Blocks by index, least recently used first. Guarded by itself. */
  private final LinkedHashMap<Long, CompletableFuture<byte[]>> blocks = new LinkedHashMap<>(16, 0.75f, true);
  private long lastMissedBlock = -2;
  /** Spans announced and not yet started, and those under way, in reading order. Guarded by {@link #blocks}. */
  private final Deque<long[]> announced = new ArrayDeque<>();
  private final Map<Long, Fetch> inFlight = new LinkedHashMap<>();
  private long inFlightBytes;

  /**
   * An announced span being fetched, and how many of its bytes were read so far: it is dropped once
   * that reaches its length, whatever the order of the reads (a chunk's reader parses the message
   * head and its fields after the payload before it reads the payload).
   */
  private record Fetch(long offset, int length, CompletableFuture<ByteBuffer> bytes, AtomicLong read) {}

  private S3Object(S3Client client, S3Location location, long size, String etag, Executor fetchers, ObjectReads reads) {
    this.client = client;
    this.location = location;
    this.size = size;
    this.etag = etag;
    this.fetchers = fetchers;
    this.reads = requireNonNull(reads, "reads is null");
  }

  /** Opens the object as it is now (one HEAD); its GETs are counted in {@code reads}. */
  public static S3Object open(S3Client client, S3Location location, Executor fetchers, ObjectReads reads) throws IOException {
    S3Client.ObjectInfo info = requireNonNull(client, "client is null").head(location);
    return new S3Object(client, location, info.size(), info.etag(), fetchers, reads);
  }

  /**
   * Opens the object as registered, without a request: the size and ETag are the ones recorded then,
   * and the first read fails ({@link S3Exception.Reason#CHANGED}) if the object is no longer that.
   */
  public static S3Object openAsOf(S3Client client, S3Location location, long size, String etag, Executor fetchers,
      ObjectReads reads) {
    return new S3Object(requireNonNull(client, "client is null"), requireNonNull(location, "location is null"), size,
        requireNonNull(etag, "etag is null"), requireNonNull(fetchers, "fetchers is null"), reads);
  }

  public S3Location location() {
    return location;
  }

  @Override
  public String name() {
    return location.toString();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String version() {
    return etag;
  }

  @Override
  public void readFully(long position, ByteBuffer target) throws IOException {
    int length = target.remaining();
    if (position < 0 || position + length > size) {
      throw new IOException("read of " + length + " bytes at " + position + " outside " + location + " (" + size + " bytes)");
    }
    if (fromPrefetched(position, target)) {
      return;
    }
    if (length >= BLOCK) {
      get(position, target);
      return;
    }
    long at = position;
    while (target.hasRemaining()) {
      long index = at / BLOCK;
      byte[] block = await(block(index));
      int from = (int) (at - index * BLOCK);
      int n = Math.min(target.remaining(), block.length - from);
      target.put(block, from, n);
      at += n;
    }
  }

  /** Takes the bytes from a span fetched ahead, if one covers them; drops it when as many bytes as it holds were read. */
  private boolean fromPrefetched(long position, ByteBuffer target) throws IOException {
    Fetch fetch;
    synchronized (blocks) {
      if (inFlight.isEmpty() && announced.isEmpty()) {
        return false;
      }
      fetch = null;
      for (Fetch f : inFlight.values()) {
        if (f.offset() <= position && position + target.remaining() <= f.offset() + f.length()) {
          fetch = f;
          break;
        }
      }
      if (fetch == null) {
        fetch = startAnnouncedCovering(position, target.remaining());
      }
      if (fetch == null) {
        return false;
      }
    }
    ByteBuffer bytes = await(fetch.bytes()).duplicate();
    int from = (int) (position - fetch.offset());
    int n = target.remaining();
    target.put(bytes.position(from).limit(from + n));
    if (fetch.read().addAndGet(n) >= fetch.length()) {
      synchronized (blocks) {
        if (inFlight.remove(fetch.offset()) != null) {
          inFlightBytes -= fetch.length();
          reads.readAhead.increment();
        }
        startAnnounced();
      }
    }
    return true;
  }

  /**
   * The reader got to an announced span before its turn (the window was full): it starts now, out
   * of turn, so that the span is fetched once and not again later for nobody. The caller holds the lock.
   */
  private Fetch startAnnouncedCovering(long position, int length) {
    for (Iterator<long[]> it = announced.iterator(); it.hasNext(); ) {
      long[] span = it.next();
      if (span[0] <= position && position + length <= span[0] + span[1]) {
        it.remove();
        return start(span);
      }
    }
    return null;
  }

  @Override
  public void prefetch(List<long[]> spans) {
    synchronized (blocks) {
      for (long[] span : spans) {
        if (span[1] >= PREFETCH_MIN && span[0] >= 0 && span[0] + span[1] <= size && span[1] <= Integer.MAX_VALUE - 64) {
          announced.add(span);
        }
      }
      startAnnounced();
    }
  }

  /** Starts announced spans while the window allows; the caller holds the lock. */
  private void startAnnounced() {
    while (!announced.isEmpty() && inFlight.size() < PREFETCH_PARALLEL
        && (inFlight.isEmpty() || inFlightBytes + announced.peek()[1] <= PREFETCH_BYTES)) {
      long[] span = announced.poll();
      if (!inFlight.containsKey(span[0])) {
        start(span);
      }
    }
  }

  /** Starts fetching an announced span; the caller holds the lock. */
  private Fetch start(long[] span) {
    int length = (int) span[1];
    CompletableFuture<ByteBuffer> bytes = CompletableFuture.supplyAsync(() -> {
      ByteBuffer buffer = ByteBuffer.allocate(length);
      try {
        get(span[0], buffer);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.flip();
    }, fetchers);
    Fetch fetch = new Fetch(span[0], length, bytes, new AtomicLong());
    inFlight.put(span[0], fetch);
    inFlightBytes += length;
    reads.fetchedAhead.increment();
    return fetch;
  }

  private void get(long position, ByteBuffer target) throws IOException {
    reads.gets.increment();
    client.get(location, position, target, etag);
  }

  private CompletableFuture<byte[]> block(long index) {
    synchronized (blocks) {
      CompletableFuture<byte[]> block = blocks.get(index);
      if (block == null) {
        block = fetchBlock(index);
        // Reads walking forward: fetch the next block while this one is used.
        if (index == lastMissedBlock + 1 && (index + 1) * BLOCK < size && !blocks.containsKey(index + 1)) {
          fetchBlock(index + 1);
        }
        lastMissedBlock = index;
      }
      return block;
    }
  }

  /** Starts fetching a block into the cache; the caller holds the lock. */
  private CompletableFuture<byte[]> fetchBlock(long index) {
    long start = index * BLOCK;
    int length = (int) Math.min(BLOCK, size - start);
    CompletableFuture<byte[]> block = CompletableFuture.supplyAsync(() -> {
      byte[] bytes = new byte[length];
      try {
        get(start, ByteBuffer.wrap(bytes));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes;
    }, fetchers);
    blocks.put(index, block);
    Iterator<Long> eldest = blocks.keySet().iterator();
    while (blocks.size() > CACHED_BLOCKS && eldest.hasNext()) {
      eldest.next();
      eldest.remove();
    }
    // A failed block is not kept: the next read asks again (and reports a lasting failure again).
    block.whenComplete((b, e) -> {
      if (e != null) {
        synchronized (blocks) {
          blocks.remove(index, block);
        }
      }
    });
    return block;
  }

  private static <T> T await(CompletableFuture<T> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading from object storage");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UncheckedIOException u) {
        IOException io = u.getCause();
        // A fresh exception of the same kind, so the stack shows this reader too.
        throw io instanceof S3Exception s ? new S3Exception(s.reason(), s.getMessage(), s) : new IOException(io.getMessage(), io);
      }
      throw new IOException("reading from object storage failed: " + cause, cause);
    }
  }

  @Override
  public void close() {
    synchronized (blocks) {
      blocks.clear();
      announced.clear();
      inFlight.values().forEach(f -> f.bytes().cancel(false));
      inFlight.clear();
      inFlightBytes = 0;
    }
  }

  @Override
  public String toString() {
    return "S3Object[" + location + ", " + size + " bytes, " + etag + "]";
  }
}
