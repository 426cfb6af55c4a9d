package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

/**
 * The LZ4 prefix decoder against lz4-java: the same bytes for any prefix, however the block and the
 * wanted output arrive in steps, and only MALFORMED (never an exception) for damaged blocks.
 */
class Lz4BlockTest {
  private static final LZ4Factory LZ4 = LZ4Factory.safeInstance();

  @Test
  void anyPrefixDecodesAsTheWholeBlockDecompressesWhateverTheSteps() {
    Random random = new Random(1);
    for (byte[] data : samples(random)) {
      for (LZ4Compressor compressor : List.of(LZ4.fastCompressor(), LZ4.highCompressor())) {
        byte[] block = compressor.compress(data);
        assertEquals(data.length, Lz4Block.decompressedSize(ByteBuffer.wrap(block)));
        for (int run = 0; run < 20; run++) {
          decodeInSteps(block, data, random);
        }
      }
    }
  }

  @Test
  void damagedBlocksGiveMalformedOrSomeOutputNeverAnException() {
    Random random = new Random(2);
    for (byte[] data : samples(random)) {
      byte[] block = LZ4.fastCompressor().compress(data);
      for (int i = 0; i < 300; i++) {
        byte[] damaged = block.clone();
        for (int flips = 1 + random.nextInt(6); flips > 0; flips--) {
          damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
        }
        int end = random.nextBoolean() ? damaged.length : random.nextInt(damaged.length + 1);
        Lz4Block.Output out = new Lz4Block.Output();
        int wanted = 1 + random.nextInt(2 * data.length + 1);
        int n = new Lz4Block.PrefixDecoder(out).decode(damaged, end, true, wanted);
        assertTrue(n == Lz4Block.MALFORMED || (n >= 0 && n <= wanted), "decoded " + n + " of " + wanted);
      }
    }
  }

  @Test
  void decodingExactlyToTheEndOfTheBlockSaysTheWholeBlockIsConsumed() {
    Random random = new Random(3);
    for (byte[] data : samples(random)) {
      if (data.length == 0) {
        continue;
      }
      byte[] block = LZ4.fastCompressor().compress(data);
      Lz4Block.PrefixDecoder decoder = new Lz4Block.PrefixDecoder(new Lz4Block.Output());
      assertEquals(data.length, decoder.decode(block, block.length, true, data.length));
      assertEquals(block.length, decoder.consumed(), "a payload read whole can be used whole");
      assertEquals(data.length, decoder.decoded());
      Lz4Block.PrefixDecoder shorter = new Lz4Block.PrefixDecoder(new Lz4Block.Output());
      shorter.decode(block, block.length, true, data.length - 1);
      assertTrue(shorter.decoded() < data.length, "a prefix is not the whole block");
    }
  }

  @Test
  void aMatchBeforeTheStartOfTheOutputIsMalformed() {
    // Two literals, then a match 3 bytes back: one byte before the output's start.
    byte[] block = {0x20, 'a', 'b', 3, 0, 0x10, 'z'};
    assertEquals(Lz4Block.MALFORMED, new Lz4Block.PrefixDecoder(new Lz4Block.Output()).decode(block, block.length, true, 100));
    block[3] = 2; // two bytes back: "ab", then "abab", then "z"
    Lz4Block.Output out = new Lz4Block.Output();
    assertEquals(7, new Lz4Block.PrefixDecoder(out).decode(block, block.length, true, 100));
    assertEquals("abababz", new String(out.bytes(), 0, 7, StandardCharsets.US_ASCII));
  }

  @Test
  void aBlockCutShortNeedsInputUntilItIsWhole() {
    byte[] data = scalars(10_000);
    byte[] block = LZ4.fastCompressor().compress(data);
    Lz4Block.Output out = new Lz4Block.Output();
    Lz4Block.PrefixDecoder decoder = new Lz4Block.PrefixDecoder(out);
    assertEquals(Lz4Block.NEEDS_INPUT, decoder.decode(block, block.length / 2, false, data.length));
    assertTrue(decoder.consumed() <= block.length / 2 && decoder.decoded() > 0);
    assertEquals(data.length, decoder.decode(block, block.length, true, data.length));
    assertArrayEquals(data, Arrays.copyOf(out.bytes(), data.length));
  }

  /** Feeds the block and asks for output in random steps, checking every answer. */
  private static void decodeInSteps(byte[] block, byte[] data, Random random) {
    Lz4Block.Output out = new Lz4Block.Output();
    Lz4Block.PrefixDecoder decoder = new Lz4Block.PrefixDecoder(out);
    int given = 0;
    int wanted = 0;
    while (true) {
      if (random.nextBoolean() || given == 0) {
        given = Math.min(block.length, given + 1 + random.nextInt(Math.max(1, block.length / 4)));
      }
      wanted = Math.min(data.length + 10, wanted + random.nextInt(Math.max(1, data.length / 3)) + 1);
      int n = decoder.decode(block, given, given == block.length, wanted);
      if (n == Lz4Block.NEEDS_INPUT) {
        assertTrue(given < block.length);
        continue;
      }
      assertTrue(n >= Math.min(wanted, data.length) && n <= data.length, "decoded " + n + ", wanted " + wanted + " of " + data.length);
      assertArrayEquals(Arrays.copyOf(data, n), Arrays.copyOf(out.bytes(), n));
      if (n == data.length) {
        return;
      }
    }
  }

  /** Data of the shapes chunks hold: incompressible bytes, scalars, short repeats, text, nothing. */
  private static List<byte[]> samples(Random random) {
    byte[] noise = new byte[50_000];
    random.nextBytes(noise);
    // Runs with periods of 1 to 12 bytes: matches that overlap their own output, and some that do not.
    byte[] repeats = new byte[30_000];
    for (int i = 0, period = 1; i < repeats.length; i++) {
      if (i % 997 == 0) {
        period = 1 + random.nextInt(12);
      }
      repeats[i] = random.nextInt(60) == 0 ? (byte) random.nextInt(256) : (byte) ('a' + i % period);
    }
    byte[] text = "The quick brown fox jumps over the lazy dog. ".repeat(500).getBytes(StandardCharsets.US_ASCII);
    return List.of(noise, scalars(20_000), repeats, text, new byte[1], new byte[100_000], Arrays.copyOf(noise, 20));
  }

  /** A timeline's values and row ids: slowly growing longs, as scalar chunks hold. */
  private static byte[] scalars(int rows) {
    ByteBuffer b = ByteBuffer.allocate(rows * 24).order(ByteOrder.LITTLE_ENDIAN);
    for (int row = 0; row < rows; row++) {
      b.putLong(1_700_000_000_000_000_000L + row * 16_666_667L + (row % 7) * 31);
      b.order(ByteOrder.BIG_ENDIAN).putLong(1_700_000_000_000_000_000L + row * 1000L).order(ByteOrder.LITTLE_ENDIAN);
      b.putLong(row);
    }
    return b.array();
  }
}
