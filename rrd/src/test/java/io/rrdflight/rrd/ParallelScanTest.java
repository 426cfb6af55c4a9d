package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scan of a large file summarises its chunks on several threads; the index must not show it: the
 * same chunks in the same order, the same stores, streams and warnings, and the same first damage as
 * a scan on one thread, for every fixture and for damaged ones, however the threads are timed.
 */
class ParallelScanTest {
  /** More threads than the machine has cores, so that chunks finish out of file order. */
  private static final int THREADS = 4;
  private static final List<String> VERSIONS = List.of("0.23.4", "0.27.3", "0.41.0");
  @TempDir Path tmp;

  @Test
  void everyFixtureIndexesTheSameOnManyThreadsAsOnOne() throws IOException {
    List<Path> files = new ArrayList<>(Fixtures.all());
    for (Path file : files) {
      for (boolean verify : new boolean[] {false, true}) {
        assertSameOnManyThreads(file, ReadMode.STRICT, verify);
      }
    }
    Path large = Fixtures.root().resolve("large/large.rrd"); // written only by gen-fixtures --large
    if (Files.isRegularFile(large)) {
      assertSameOnManyThreads(large, ReadMode.STRICT, false);
    }
  }

  @Test
  void damagedFilesIndexTheSameOnManyThreadsAsOnOne() throws IOException {
    Random random = new Random(17);
    for (String version : VERSIONS) {
      byte[] original = Files.readAllBytes(Fixtures.version(version));
      for (int i = 0; i < 40; i++) {
        byte[] bytes = original.clone();
        if (i % 2 == 0) {
          bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
        } else {
          for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
            bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        Path damaged = TestFiles.withBytes(tmp, "damaged-" + version + "-" + i + ".rrd", bytes);
        for (ReadMode mode : ReadMode.values()) {
          assertSameOnManyThreads(damaged, mode, false);
          assertSameOnManyThreads(damaged, mode, true);
        }
      }
    }
  }

  @Test
  void aDamagedChunkWinsOverWhatTheWalkFindsAfterIt() throws IOException {
    Path file = Fixtures.version("0.27.3");
    RrdMessage.ChunkRef victim = chunkRefs(file).get(1);
    ArrowMsgHeader msg;
    try (FileBytes bytes = FileBytes.open(file)) {
      msg = ArrowMsgHeader.read(bytes, victim.offset(), victim.length());
    }
    byte[] bytes = Files.readAllBytes(file);
    Arrays.fill(bytes, (int) msg.dataOffset(), (int) (msg.dataOffset() + msg.dataLength()), (byte) 0xFF); // a broken LZ4 block
    Frame lastChunk = TestFiles.frames(file).stream().filter(f -> f.kind() == MessageKind.ARROW_MSG).reduce((a, b) -> b).orElseThrow();
    // Cut inside the last chunk's frame (damage the walk finds), or where it starts (a warning: no End).
    for (long cut : new long[] {lastChunk.offset() + 20, lastChunk.offset()}) {
      Path damaged = TestFiles.withBytes(tmp, "two-damages-" + cut + ".rrd", Arrays.copyOf(bytes, (int) cut));
      for (ReadMode mode : ReadMode.values()) {
        Outcome many = assertSameOnManyThreads(damaged, mode, false);
        if (mode == ReadMode.STRICT) {
          assertTrue(many.error().startsWith(damaged + " at byte " + msg.dataOffset() + ": "), many.error());
        } else {
          assertEquals(Optional.of(msg.dataOffset()), many.damageOffset());
          assertEquals(1, many.chunks().size(), "only the chunk before the damaged one");
          assertEquals(List.of(), many.warnings(), "nothing the walk found after the damage");
        }
      }
    }
  }

  /** Everything an index says, or the error a strict scan threw. */
  private record Outcome(String error, List<RrdStream> streams, List<Store> stores, List<IndexedChunk> chunks, List<String> warnings,
      Optional<String> damage, Optional<Long> damageOffset) {
    static Outcome of(Path file, ReadMode mode, boolean verify, int threads) throws IOException {
      try {
        ChunkIndex index = ChunkIndex.scan(file, mode, verify, threads);
        return new Outcome("", index.streams(), index.stores(), index.chunks(), index.warnings(),
            index.damage().map(RrdFormatException::getMessage), index.damage().map(RrdFormatException::offset));
      } catch (RrdFormatException e) {
        return new Outcome(e.getMessage(), List.of(), List.of(), List.of(), List.of(), Optional.empty(), Optional.empty());
      }
    }
  }

  private static Outcome assertSameOnManyThreads(Path file, ReadMode mode, boolean verify) throws IOException {
    Outcome one = Outcome.of(file, mode, verify, 1);
    Outcome many = Outcome.of(file, mode, verify, THREADS);
    assertEquals(one, many, file + ", " + mode + (verify ? ", verifying" : ""));
    return many;
  }

  /** The chunks a streaming read locates. */
  private static List<RrdMessage.ChunkRef> chunkRefs(Path file) throws IOException {
    List<RrdMessage.ChunkRef> refs = new ArrayList<>();
    try (RrdReader reader = RrdReader.open(file)) {
      for (Optional<RrdMessage> m = reader.next(); m.isPresent(); m = reader.next()) {
        if (m.get() instanceof RrdMessage.ChunkRef ref) {
          refs.add(ref);
        }
      }
    }
    return refs;
  }
}
