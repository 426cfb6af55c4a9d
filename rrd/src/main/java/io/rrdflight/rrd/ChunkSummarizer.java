package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Summarises the chunks of one scan for the index, on a few threads of its own when the file is large
 * enough to repay them. The frame walk stays on the caller's thread (it is cheap and sequential);
 * what runs here is per chunk and independent: reading the start of the payload, LZ4, the IPC head.
 * The caller takes results in file order, so an index does not depend on thread timing.
 *
 * <p>Each thread has its own view of the file and its own buffers, sized by the largest chunk it
 * met; the caller bounds how many chunks are in flight ({@link #lookahead()}), so memory stays bounded
 * whatever the file's size. Threads end with {@link #close()}.
 */
final class ChunkSummarizer implements Closeable {
  /** Smaller files are summarised on the caller's thread: starting threads would cost more than they save. */
  static final long PARALLEL_MIN_BYTES = 16L << 20;
  /** Chunks in flight per thread, so that no thread waits for the walk or for a slow neighbour. */
  private static final int LOOKAHEAD_PER_THREAD = 8;

  private final boolean verify;
  /** Whose contents the caller's thread reads too; none on a pool ({@link ContentsWanted} is one thread's). */
  private final ContentsWanted wanted;
  private final int threads;
  /** Null when summarising on the caller's thread. */
  private final ExecutorService pool;
  /** The pool threads' views and buffers; they go with the threads. */
  private final ThreadLocal<Worker> pooled;
  /** The caller's thread's, when there is no pool. */
  private final Worker inline;

  /** A thread's view of the file and buffers. */
  private record Worker(FileBytes bytes, ChunkDecoder decoder) {}

  /**
   * @param threads how many threads summarise; 1 summarises on the caller's thread, when asked
   * @param verify also check every payload whole, as decoding it would
   */
  ChunkSummarizer(FileBytes bytes, int threads, boolean verify) {
    this(bytes, threads, verify, ContentsWanted.NONE);
  }

  /**
   * As {@link #ChunkSummarizer(FileBytes, int, boolean)}; on the caller's thread, also reads the
   * contents {@code wanted} of chunks it has decoded whole. A pool reads none.
   */
  ChunkSummarizer(FileBytes bytes, int threads, boolean verify, ContentsWanted wanted) {
    requireNonNull(bytes, "bytes is null");
    requireNonNull(wanted, "wanted is null");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, is " + threads);
    }
    this.verify = verify;
    this.threads = threads;
    this.wanted = threads == 1 ? wanted : ContentsWanted.NONE;
    this.pooled = ThreadLocal.withInitial(() -> new Worker(bytes.duplicate(), new ChunkDecoder()));
    this.pool = threads == 1 ? null : pool(threads, bytes.file().substring(bytes.file().lastIndexOf('/') + 1));
    this.inline = threads == 1 ? new Worker(bytes.duplicate(), new ChunkDecoder()) : null;
  }

  /** The threads worth using for a file of {@code size} bytes on this machine. */
  static int threadsFor(long size) {
    return size < PARALLEL_MIN_BYTES ? 1 : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** How many chunks a caller should have submitted and not yet taken: 0 on the caller's thread. */
  int lookahead() {
    return pool == null ? 0 : LOOKAHEAD_PER_THREAD * threads;
  }

  /**
   * Starts summarising the chunk of {@code msg}; on the caller's thread, it is done on return. The
   * caller cancels what it does not take.
   */
  Future<ChunkSummary> submit(ArrowMsgHeader msg) {
    Callable<ChunkSummary> task = () -> {
      Worker w = pool == null ? inline : pooled.get();
      ChunkSummary summary = w.decoder().summarize(w.bytes(), msg, wanted);
      if (verify) {
        w.decoder().verify(w.bytes(), msg);
      }
      return summary;
    };
    if (pool != null) {
      return pool.submit(task);
    }
    try {
      return CompletableFuture.completedFuture(task.call());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The summary {@code submit} promised, or what summarising threw, as it threw it. */
  static ChunkSummary take(Future<ChunkSummary> summary) throws IOException {
    try {
      return summary.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while indexing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
  }

  /**
   * Lets running tasks finish (a chunk each; cancelled ones never start) and ends the threads. Tasks
   * are not interrupted: an interrupt would close the file's channel under its reader.
   */
  @Override
  public void close() {
    if (pool == null) {
      return;
    }
    pool.shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static ExecutorService pool(int threads, String name) {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "rrd-index-" + name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }
}
