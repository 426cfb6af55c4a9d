package io.rrdflight.rrd.bench;

import io.rrdflight.rrd.Chunk;
import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.ReadMode;
import io.rrdflight.rrd.RrdMessage;
import io.rrdflight.rrd.RrdReader;
import io.rrdflight.rrd.RrdSummary;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Throughput of the rrd module on real files, next to a plain sequential read of the same file in the
 * same run (the baseline: what the disk and page cache give). Not a test: run it with
 * {@code rrd/src/bench/run.sh}; see the README beside it.
 *
 * <p>Usage: {@code RrdBenchmark [--runs N] [--warmups N] [--scan FILE]... [--footer FILE]...}: {@code --scan}
 * files (default fixtures/large/large.rrd) get sequential read, index scan, full decode and inspect;
 * {@code --footer} files (0.28+) get index from footer, index by scan and sequential read.
 */
public final class RrdBenchmark {
  private RrdBenchmark() {}

  public static void main(String[] args) throws IOException {
    int runs = 5;
    int warmups = 3;
    List<Path> scanFiles = new ArrayList<>();
    List<Path> footerFiles = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--warmups" -> warmups = Integer.parseInt(args[++i]);
        case "--scan" -> scanFiles.add(Path.of(args[++i]));
        case "--footer" -> footerFiles.add(Path.of(args[++i]));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("java %s, %d cores, max heap %d MB, best and median of %d runs after %d warm-up runs%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, runs, warmups);
    Measure measure = new Measure(warmups, runs);
    if (scanFiles.isEmpty()) {
      scanFiles.add(Path.of("fixtures/large/large.rrd"));
    }

    try (BufferAllocator allocator = new RootAllocator()) {
      for (Path file : scanFiles) {
        if (!Files.isRegularFile(file)) {
          System.out.println("no file at " + file + " (scripts/gen-fixtures --large writes fixtures/large/large.rrd)");
          continue;
        }
        long size = Files.size(file);
        System.out.printf("%n%s: %.1f MB, %d chunks%n", file, size / 1e6, ChunkIndex.scan(file, ReadMode.STRICT).chunks().size());
        report("sequential read (baseline)", size, measure.of(() -> sequentialRead(file)));
        report("index build (scan)", size, measure.of(() -> ChunkIndex.scan(file, ReadMode.STRICT).chunks().size()));
        report("full decode (all chunks to vectors)", size, measure.of(() -> decodeAll(file, allocator)));
        report("inspect (scan + verify every payload)", size, measure.of(() -> RrdSummary.inspect(file).stores().size()));
        report("sequential read (baseline, again)", size, measure.of(() -> sequentialRead(file)));
      }
      for (Path file : footerFiles) {
        long size = Files.size(file);
        ChunkIndex index = ChunkIndex.build(file, allocator);
        System.out.printf("%n%s: %.1f MB, %d chunks, index source %s%n", file, size / 1e6, index.chunks().size(), index.source());
        report("index from footer", size, measure.of(() -> ChunkIndex.build(file, allocator).chunks().size()));
        report("index by scan (for comparison)", size, measure.of(() -> ChunkIndex.scan(file, ReadMode.STRICT).chunks().size()));
        report("sequential read (baseline)", size, measure.of(() -> sequentialRead(file)));
      }
    }
  }

  private interface Work {
    long run() throws IOException;
  }

  /** Wall-clock and CPU nanoseconds of each measured run. */
  private record Times(long[] wall, long[] cpu) {}

  /**
   * Runs work a few times to warm the JIT and the page cache, then times it. CPU time of this thread
   * is reported next to wall time: on a shared machine it is the steadier figure.
   */
  private record Measure(int warmups, int runs) {
    Times of(Work work) throws IOException {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long sink = 0;
      for (int i = 0; i < warmups; i++) {
        sink += work.run();
      }
      long[] wall = new long[runs];
      long[] cpu = new long[runs];
      for (int i = 0; i < runs; i++) {
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        sink += work.run();
        wall[i] = System.nanoTime() - start;
        cpu[i] = threads.getCurrentThreadCpuTime() - cpuStart;
      }
      if (sink == 42) {
        System.out.print(""); // keeps the results alive
      }
      return new Times(wall, cpu);
    }
  }

  private static void report(String what, long bytes, Times times) {
    long[] wall = times.wall().clone();
    long[] cpu = times.cpu().clone();
    Arrays.sort(wall);
    Arrays.sort(cpu);
    double best = wall[0] / 1e9;
    double median = wall[wall.length / 2] / 1e9;
    double cpuBest = cpu[0] / 1e9;
    System.out.printf("  %-36s wall best %8.4f s %8.1f MB/s | median %8.4f s %8.1f MB/s | cpu best %8.4f s %8.1f MB/s%n", what, best,
        bytes / 1e6 / best, median, bytes / 1e6 / median, cpuBest, bytes / 1e6 / cpuBest);
  }

  /** Reads the whole file in 1 MiB blocks and touches every 8th byte. */
  private static long sequentialRead(Path file) throws IOException {
    long sum = 0;
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (channel.read(buffer.clear()) > 0) {
        buffer.flip();
        while (buffer.remaining() >= Long.BYTES) {
          sum += buffer.getLong();
        }
      }
    }
    return sum;
  }

  /** Streams the file and decodes every chunk into vectors. */
  private static long decodeAll(Path file, BufferAllocator allocator) throws IOException {
    long rows = 0;
    try (RrdReader reader = RrdReader.open(file)) {
      for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
        if (m.get() instanceof RrdMessage.ChunkRef ref) {
          try (Chunk chunk = reader.readChunk(ref, allocator)) {
            rows += chunk.rowCount();
          }
        }
      }
    }
    return rows;
  }
}
