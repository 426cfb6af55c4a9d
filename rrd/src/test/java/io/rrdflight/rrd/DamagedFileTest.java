package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Damaged input, always derived from real fixtures by cutting, overwriting or appending bytes: every
 * failure is an {@link RrdFormatException} that names the file and the offset, and salvage mode keeps
 * what came before the damage.
 */
@ExtendWith(NoLeaks.class)
class DamagedFileTest {
  private static final List<String> VERSIONS = List.of("0.23.4", "0.27.3", "0.41.0");
  @TempDir Path tmp;

  @Test
  void emptyFileIsRejected(BufferAllocator allocator) throws IOException {
    Path empty = TestFiles.withBytes(tmp, "empty.rrd", new byte[0]);

    RrdFormatException e = assertFails(empty, allocator);
    assertEquals(0, e.offset());
    assertTrue(e.getMessage().contains("file is empty"), e.getMessage());
  }

  @Test
  void gitLfsPointerIsRejectedAsSuch(BufferAllocator allocator) throws IOException {
    Path pointer = TestFiles.withBytes(tmp, "pointer.rrd", ("version https://git-lfs.github.com/spec/v1\n"
        + "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n").getBytes(StandardCharsets.US_ASCII));

    RrdFormatException e = assertFails(pointer, allocator);
    assertEquals(0, e.offset());
    assertTrue(e.getMessage().contains("Git LFS pointer"), e.getMessage());
  }

  @Test
  void foreignFileIsRejected(BufferAllocator allocator) throws IOException {
    Path xml = TestFiles.withBytes(tmp, "notes.rrd", "<?xml version=\"1.0\"?><notes/>".getBytes(StandardCharsets.US_ASCII));

    RrdFormatException e = assertFails(xml, allocator);
    assertTrue(e.getMessage().contains(xml.toString()), "the message names the file: " + e.getMessage());
    assertTrue(e.getMessage().contains("at byte 0") && e.getMessage().contains("not an .rrd file"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"RRF0", "RRF1"})
  void oldStreamFormatsAreRejected(String magic, BufferAllocator allocator) throws IOException {
    byte[] bytes = Files.readAllBytes(Fixtures.version("0.27.3"));
    System.arraycopy(magic.getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 4);

    RrdFormatException e = assertFails(TestFiles.withBytes(tmp, "old.rrd", bytes), allocator);
    assertTrue(e.getMessage().contains(magic + " is an old Rerun format"), e.getMessage());
  }

  @Test
  void versionsBefore023AreRejected(BufferAllocator allocator) throws IOException {
    byte[] bytes = Files.readAllBytes(Fixtures.version("0.27.3"));
    bytes[5] = 22; // minor version

    RrdFormatException e = assertFails(TestFiles.withBytes(tmp, "v22.rrd", bytes), allocator);
    assertEquals(4, e.offset());
    assertTrue(e.getMessage().contains("Rerun 0.22.3, which is not supported"), e.getMessage());
  }

  @Test
  void unknownMessageKindAtTheStartOfAStreamIsRejected(BufferAllocator allocator) throws IOException {
    byte[] bytes = Files.readAllBytes(Fixtures.version("0.27.3"));
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(StreamHeader.SIZE, 7);

    RrdFormatException e = assertFails(TestFiles.withBytes(tmp, "kind.rrd", bytes), allocator);
    assertEquals(StreamHeader.SIZE, e.offset());
    assertTrue(e.getMessage().contains("unknown message kind 7"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.23.4", "0.27.3", "0.41.0"})
  void cutAtEveryFrameBoundaryKeepsTheChunksBeforeIt(String version, BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version(version);
    List<Frame> frames = TestFiles.frames(file);
    List<Long> cuts = new java.util.ArrayList<>();
    cuts.add((long) StreamHeader.SIZE);
    frames.forEach(f -> cuts.add(f.end()));
    for (long cut : cuts) {
      checkCut(file, frames, cut, allocator);
    }
  }

  @Test
  void cutAtSeededRandomOffsetsFailsWhereTheCutFrameStarts(BufferAllocator allocator) throws IOException {
    Random random = new Random(3);
    for (String version : VERSIONS) {
      Path file = Fixtures.version(version);
      List<Frame> frames = TestFiles.frames(file);
      long size = Files.size(file);
      for (int i = 0; i < 60; i++) {
        checkCut(file, frames, random.nextLong(size), allocator);
      }
    }
  }

  @Test
  void corruptLz4BlockIsLocatedAtItsChunk(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.27.3");
    RrdMessage.ChunkRef victim = largestChunk(file, allocator);
    ArrowMsgHeader msg = header(file, victim);
    byte[] bytes = Files.readAllBytes(file);
    // 0xFF tokens claim ever longer literal runs, which end up running past the block.
    Arrays.fill(bytes, (int) msg.dataOffset(), (int) (msg.dataOffset() + msg.dataLength()), (byte) 0xFF);
    Path damaged = TestFiles.withBytes(tmp, "lz4.rrd", bytes);

    RrdFormatException e = assertThrows(RrdFormatException.class, () -> RrdReader.readChunk(damaged, victim.offset(), victim.length(), allocator).close());
    assertEquals(msg.dataOffset(), e.offset());
    assertTrue(e.getMessage().contains("LZ4"), e.getMessage());
    assertEquals(e.getMessage(), assertFails(damaged, allocator).getMessage());
    assertSalvageStopsAt(damaged, victim, e.offset(), allocator);
  }

  @Test
  void damageDeepInsideAChunkShowsWhenItIsReadAndWhenInspected(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.27.3");
    RrdMessage.ChunkRef victim = largestChunk(file, allocator);
    ArrowMsgHeader msg = header(file, victim);
    byte[] bytes = Files.readAllBytes(file);
    // The end of the block holds the last component's data, which an index never decompresses.
    int end = (int) (msg.dataOffset() + msg.dataLength());
    Arrays.fill(bytes, end - 16, end, (byte) 0xFF);
    Path damaged = TestFiles.withBytes(tmp, "tail.rrd", bytes);

    RrdFormatException e = assertThrows(RrdFormatException.class, () -> RrdReader.readChunk(damaged, victim.offset(), victim.length(), allocator).close());
    assertEquals(msg.dataOffset(), e.offset());
    RrdSummary inspected = RrdSummary.inspect(damaged);
    assertEquals(Optional.of(e.getMessage()), inspected.damage().map(RrdFormatException::getMessage));
    long before = ChunkIndex.scan(file, ReadMode.STRICT).chunks().stream().filter(c -> c.offset() < victim.offset()).count();
    assertEquals(before, inspected.stores().stream().mapToLong(RrdSummary.StoreSummary::chunks).sum(), "inspect keeps the chunks before the damage");
  }

  @Test
  void corruptArrowIpcIsLocatedAtItsChunk(BufferAllocator allocator) throws IOException {
    Path file = Fixtures.version("0.27.3");
    RrdMessage.ChunkRef victim = largestChunk(file, allocator);
    ArrowMsgHeader msg = header(file, victim);
    byte[] bytes = Files.readAllBytes(file);
    // The IPC stream starts with 0xFFFFFFFF and the schema message's length. LZ4 stores them as
    // literals of the block's first sequence, so they can be changed without breaking the block.
    int literals = firstLiteral(bytes, (int) msg.dataOffset());
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(literals + 4, 0x7F000000);
    Path damaged = TestFiles.withBytes(tmp, "ipc.rrd", bytes);

    RrdFormatException e = assertThrows(RrdFormatException.class, () -> RrdReader.readChunk(damaged, victim.offset(), victim.length(), allocator).close());
    assertEquals(msg.dataOffset(), e.offset());
    assertTrue(e.getMessage().contains("Arrow IPC message claims"), e.getMessage());
    assertSalvageStopsAt(damaged, victim, e.offset(), allocator);
  }

  @Test
  void garbageAfterACompleteStreamIsIgnoredWithAWarning(BufferAllocator allocator) throws IOException {
    for (String version : VERSIONS) {
      Path file = Fixtures.version(version);
      byte[] garbage = new byte[1000];
      new Random(5).nextBytes(garbage);
      garbage[0] = 'x'; // not the start of RRF2
      Path damaged = TestFiles.concatenated(tmp, "garbage.rrd", file, TestFiles.withBytes(tmp, "garbage", garbage));

      FileContents contents = FileContents.read(damaged, allocator);
      String warning = "ignored 1000 bytes from byte " + Files.size(file);
      assertEquals(FileContents.read(file, allocator).chunks(), contents.chunks(), version);
      assertTrue(contents.warnings().stream().anyMatch(w -> w.contains(warning)), contents.warnings().toString());
    }
  }

  @Test
  void garbageInsideAStreamIsAnErrorButSalvageKeepsWhatCameBefore(BufferAllocator allocator) throws IOException {
    Path file = TestFiles.withoutEnd(Fixtures.version("0.27.3"), tmp);
    byte[] garbage = "this is not a message header at all".getBytes(StandardCharsets.US_ASCII);
    Path damaged = TestFiles.concatenated(tmp, "garbage.rrd", file, TestFiles.withBytes(tmp, "garbage", garbage));

    RrdFormatException e = assertFails(damaged, allocator);
    assertEquals(Files.size(file), e.offset());
    ChunkIndex salvaged = ChunkIndex.build(damaged, allocator, ReadMode.SALVAGE);
    assertEquals(ChunkIndex.build(file, allocator).chunks(), salvaged.chunks());
    assertEquals(Optional.of(Files.size(file)), salvaged.damage().map(RrdFormatException::offset));
  }

  @Test
  void seededRandomByteFlipsFailOnlyWithLocatedFormatErrors(BufferAllocator allocator) throws IOException {
    Random random = new Random(11);
    for (String version : VERSIONS) {
      byte[] original = Files.readAllBytes(Fixtures.version(version));
      for (int i = 0; i < 40; i++) {
        byte[] bytes = original.clone();
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        }
        Path damaged = TestFiles.withBytes(tmp, "flip.rrd", bytes);
        Exercise.everything(damaged, allocator);
      }
    }
  }

  /** Reads a file cut at {@code cut} and checks the outcome the cut position implies. */
  private void checkCut(Path file, List<Frame> frames, long cut, BufferAllocator allocator) throws IOException {
    Path damaged = TestFiles.truncated(file, cut, tmp);
    long completeChunks = frames.stream().filter(f -> f.kind() == MessageKind.ARROW_MSG && f.end() <= cut).count();
    Optional<Long> failsAt = expectedFailure(frames, cut, Files.size(file));
    String where = file.getFileName() + " cut at " + cut;

    ChunkIndex salvaged = ChunkIndex.build(damaged, allocator, ReadMode.SALVAGE);
    assertEquals(completeChunks, salvaged.chunks().size(), where);
    assertEquals(failsAt, salvaged.damage().map(RrdFormatException::offset), where);
    if (failsAt.isPresent()) {
      RrdFormatException e = assertFails(damaged, allocator);
      assertEquals(failsAt.get(), e.offset(), where + ": " + e.getMessage());
      assertTrue(e.getMessage().startsWith(damaged + " at byte " + failsAt.get() + ": "), e.getMessage());
    } else {
      assertEquals(completeChunks, ChunkIndex.build(damaged, allocator).chunks().size(), where);
    }
  }

  /**
   * Where reading a file cut at {@code cut} must fail: nowhere for a cut between frames (a writer
   * that stopped early), else at the start of the cut frame, header or footer.
   */
  private static Optional<Long> expectedFailure(List<Frame> frames, long cut, long size) {
    if (cut == size) {
      return Optional.empty();
    }
    if (cut < StreamHeader.SIZE) {
      return Optional.of(0L);
    }
    if (cut == StreamHeader.SIZE) {
      return Optional.empty();
    }
    for (Frame f : frames) {
      if (f.offset() < cut && cut < f.end()) {
        return Optional.of(f.offset());
      }
      if (cut == f.end()) {
        // After an End that carries an RrdFooter, the stream footer must follow.
        return f.kind() == MessageKind.END && f.payloadLength() > 0 ? Optional.of(cut) : Optional.empty();
      }
    }
    Frame last = frames.get(frames.size() - 1);
    return Optional.of(last.end()); // inside the stream footer
  }

  private static RrdFormatException assertFails(Path file, BufferAllocator allocator) {
    return assertThrows(RrdFormatException.class, () -> Exercise.strictly(file, allocator));
  }

  private static void assertSalvageStopsAt(Path damaged, RrdMessage.ChunkRef victim, long offset, BufferAllocator allocator) throws IOException {
    ChunkIndex salvaged = ChunkIndex.build(damaged, allocator, ReadMode.SALVAGE);
    assertEquals(Optional.of(offset), salvaged.damage().map(RrdFormatException::offset));
    assertFalse(salvaged.chunks().isEmpty(), "chunks before the damage are kept");
    assertTrue(salvaged.chunks().stream().allMatch(c -> c.offset() < victim.offset()));
  }

  private static RrdMessage.ChunkRef largestChunk(Path file, BufferAllocator allocator) throws IOException {
    List<RrdMessage.ChunkRef> refs = FileContents.read(file, allocator).chunkRefs();
    // Not the first chunk, so that salvage has something to keep.
    return refs.subList(1, refs.size()).stream().max(java.util.Comparator.comparingLong(RrdMessage.ChunkRef::length)).orElseThrow();
  }

  private static ArrowMsgHeader header(Path file, RrdMessage.ChunkRef ref) throws IOException {
    try (FileBytes bytes = FileBytes.open(file)) {
      ArrowMsgHeader msg = ArrowMsgHeader.read(bytes, ref.offset(), ref.length());
      assertTrue(msg.lz4(), "the SDK compresses chunks with LZ4");
      return msg;
    }
  }

  /** Where the literals of an LZ4 block's first sequence start. */
  private static int firstLiteral(byte[] bytes, int blockStart) {
    int p = blockStart;
    int literals = (bytes[p++] & 0xFF) >>> 4;
    if (literals == 15) {
      int b;
      do {
        b = bytes[p++] & 0xFF;
        literals += b;
      } while (b == 255);
    }
    assertTrue(literals >= 8, "the IPC stream's first 8 bytes are literals");
    return p;
  }
}
