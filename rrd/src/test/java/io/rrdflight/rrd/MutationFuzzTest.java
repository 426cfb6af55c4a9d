package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates real fixtures at random (seeded) for a few seconds and reads each result every way we can:
 * only RrdFormatException may come out, salvage mode never throws, nothing hangs or leaks.
 *
 * <p>{@code -Drrdflight.fuzz.seconds=N} runs longer; {@code -Drrdflight.fuzz.seed=S} picks another
 * sequence. A failure names the seed and iteration, which reproduce it.
 */
@ExtendWith(NoLeaks.class)
class MutationFuzzTest {
  private static final long MAX_FIXTURE_BYTES = 4 << 20;
  @TempDir Path tmp;

  @Test
  @Timeout(300)
  void mutatedFixturesFailOnlyWithLocatedFormatErrors(BufferAllocator allocator) throws IOException {
    long seed = Long.getLong("rrdflight.fuzz.seed", 20251124L);
    double seconds = Double.parseDouble(System.getProperty("rrdflight.fuzz.seconds", "4"));
    List<byte[]> sources = new ArrayList<>();
    for (Path file : Fixtures.all()) {
      if (Files.size(file) <= MAX_FIXTURE_BYTES) {
        sources.add(Files.readAllBytes(file));
      }
    }
    Random random = new Random(seed);
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    int iterations = 0;
    while (System.nanoTime() < deadline || iterations < 10) {
      byte[] source = sources.get(random.nextInt(sources.size()));
      byte[] mutated = mutate(source, sources.get(random.nextInt(sources.size())), random);
      Path file = TestFiles.withBytes(tmp, "fuzz.rrd", mutated);
      try {
        Exercise.everything(file, allocator);
      } catch (RuntimeException | Error | IOException e) {
        throw new AssertionError("seed " + seed + ", iteration " + iterations + ": " + e, e);
      }
      iterations++;
    }
    System.out.printf("fuzz: %d mutated files in %.1f s (seed %d)%n", iterations, seconds, seed);
    assertTrue(iterations >= 10);
  }

  private static byte[] mutate(byte[] source, byte[] other, Random random) {
    byte[] b = source.clone();
    int n = b.length;
    switch (random.nextInt(8)) {
      case 0 -> { // flip a few bits
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
          b[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> { // a corrupt 64-bit length or kind somewhere
        int at = random.nextInt(Math.max(1, n - 8));
        long value = switch (random.nextInt(4)) {
          case 0 -> random.nextLong();
          case 1 -> Long.MAX_VALUE - random.nextInt(1000);
          case 2 -> random.nextInt(4);
          default -> n - at + random.nextInt(64) - 32;
        };
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, value);
      }
      case 2 -> b = Arrays.copyOf(b, random.nextInt(n)); // cut
      case 3 -> { // insert random bytes
        int at = random.nextInt(n);
        byte[] insert = new byte[1 + random.nextInt(64)];
        random.nextBytes(insert);
        b = splice(b, at, at, insert);
      }
      case 4 -> { // delete a range
        int at = random.nextInt(n);
        b = splice(b, at, Math.min(n, at + 1 + random.nextInt(256)), new byte[0]);
      }
      case 5 -> { // copy a range over another
        int from = random.nextInt(n);
        int to = random.nextInt(n);
        int len = Math.min(1 + random.nextInt(512), Math.min(n - from, n - to));
        System.arraycopy(source, from, b, to, len);
      }
      case 6 -> { // fill a range with zeros or 0xFF
        int at = random.nextInt(n);
        Arrays.fill(b, at, Math.min(n, at + 1 + random.nextInt(128)), random.nextBoolean() ? 0 : (byte) 0xFF);
      }
      default -> { // two files back to back, one of them cut somewhere
        byte[] tail = Arrays.copyOf(other, random.nextInt(other.length + 1));
        b = splice(b, n, n, tail);
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] out = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(b, to, out, from + insert.length, b.length - to);
    return out;
  }
}
