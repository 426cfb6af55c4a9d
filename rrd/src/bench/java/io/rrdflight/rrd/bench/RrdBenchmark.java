package io.rrdflight.rrd.bench;

import com.sun.management.OperatingSystemMXBean;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Throughput of the rrd module on real files, next to a plain sequential read of the same file in the
 * same run (the baseline: what the disk and page cache give). Not a test: run it with
 * {@code rrd/src/bench/run.sh}; see the README beside it.
 *
 * <p>Usage: {@code RrdBenchmark [--runs N] [--warmups N] [--scan FILE]... [--footer FILE]...}: {@code --scan}
 * files (default fixtures/large/large.rrd) get sequential read, index scan (on as many threads as it
 * takes, and on one), full decode and inspect;
 * {@code --footer} files (0.28+) get index from footer, index by scan and sequential read.
 */
public final class RrdBenchmark {
  private RrdBenchmark() {}

  public static void main(String[] args) throws IOException {
    int runs = 10;
    int warmups = 10;
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
    System.out.printf("java %s, %d cores, max heap %d MB; %d warm-up rounds, then best and median of %d measured rounds "
        + "(each round runs every workload of a file once, in turn)%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, warmups, runs);
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
        Map<String, Times> times = measure(warmups, runs, size, List.of(
            new Workload("sequential read (baseline)", () -> sequentialRead(file)),
            new Workload("index build (scan)", () -> ChunkIndex.scan(file, ReadMode.STRICT).chunks().size()),
            new Workload("index build (scan, 1 thread)", () -> ChunkIndex.scan(file, ReadMode.STRICT, 1).chunks().size()),
            new Workload("full decode (all chunks to vectors)", () -> decodeAll(file, allocator)),
            new Workload("inspect (scan + verify every payload)", () -> RrdSummary.inspect(file).stores().size())));
        Times read = times.get("sequential read (baseline)");
        Times scan = times.get("index build (scan)");
        Times scanOne = times.get("index build (scan, 1 thread)");
        System.out.printf("  index build vs sequential read, best wall: %.0f %% (on 1 thread %.0f %%); "
            + "CPU, read thread best vs all threads mean: %.0f %% (on 1 thread %.0f %%)%n", 100.0 * best(read.wall()) / best(scan.wall()),
            100.0 * best(read.wall()) / best(scanOne.wall()), 100.0 * best(read.cpu()) / mean(scan.processCpu()),
            100.0 * best(read.cpu()) / mean(scanOne.processCpu()));
      }
      for (Path file : footerFiles) {
        long size = Files.size(file);
        ChunkIndex index = ChunkIndex.build(file, allocator);
        System.out.printf("%n%s: %.1f MB, %d chunks, index source %s%n", file, size / 1e6, index.chunks().size(), index.source());
        measure(warmups, runs, size, List.of(
            new Workload("index from footer", () -> ChunkIndex.build(file, allocator).chunks().size()),
            new Workload("index by scan (for comparison)", () -> ChunkIndex.scan(file, ReadMode.STRICT).chunks().size()),
            new Workload("sequential read (baseline)", () -> sequentialRead(file))));
      }
    }
  }

  private interface Work {
    long run() throws IOException;
  }

  private record Workload(String name, Work work) {}

  /**
   * Wall-clock and CPU nanoseconds of each measured run: CPU of the calling thread, and of the whole
   * process (every thread, so the index scan's workers too, and GC and JIT; the JVM counts it in 10 ms
   * ticks).
   */
  private record Times(long[] wall, long[] cpu, long[] processCpu) {}

  /**
   * Runs every workload {@code warmups} times in turn (the JIT keeps compiling the scan path for some
   * twenty runs on a busy 2-core machine; the page cache warms too), then {@code runs} more times in
   * turn, timing each, and reports each. Taking turns spreads the noise of a shared machine over all
   * workloads alike, so their ratios hold better than their absolute figures.
   */
  private static Map<String, Times> measure(int warmups, int runs, long bytes, List<Workload> workloads) throws IOException {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long sink = 0;
    for (int i = 0; i < warmups; i++) {
      for (Workload w : workloads) {
        sink += w.work().run();
      }
    }
    Map<String, Times> times = new LinkedHashMap<>();
    workloads.forEach(w -> times.put(w.name(), new Times(new long[runs], new long[runs], new long[runs])));
    for (int i = 0; i < runs; i++) {
      for (Workload w : workloads) {
        Times t = times.get(w.name());
        long processCpuStart = os.getProcessCpuTime();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        sink += w.work().run();
        t.wall()[i] = System.nanoTime() - start;
        t.cpu()[i] = threads.getCurrentThreadCpuTime() - cpuStart;
        t.processCpu()[i] = os.getProcessCpuTime() - processCpuStart;
      }
    }
    if (sink == 42) {
      System.out.print(""); // keeps the results alive
    }
    times.forEach((name, t) -> report(name, bytes, t));
    return times;
  }

  private static void report(String what, long bytes, Times times) {
    long[] wall = times.wall().clone();
    Arrays.sort(wall);
    double best = wall[0] / 1e9;
    double median = wall[wall.length / 2] / 1e9;
    double cpuBest = best(times.cpu()) / 1e9;
    double processCpu = mean(times.processCpu()) / 1e9;
    String all = processCpu == 0 ? "under one 10 ms tick" : String.format("%6.3f s %7.1f MB/s", processCpu, bytes / 1e6 / processCpu);
    System.out.printf("  %-37s wall best %7.4f s %7.1f MB/s | median %7.4f s %7.1f MB/s | cpu best %7.4f s %7.1f MB/s"
        + " | all threads, mean %s%n", what, best, bytes / 1e6 / best, median, bytes / 1e6 / median, cpuBest, bytes / 1e6 / cpuBest, all);
  }

  private static long best(long[] nanos) {
    return Arrays.stream(nanos).min().orElseThrow();
  }

  private static double mean(long[] nanos) {
    return Arrays.stream(nanos).average().orElseThrow();
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
