package io.rrdflight.rrd;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Derives test files from real fixtures: cuts, concatenations, byte changes. Never writes .rrd content of its own. */
final class TestFiles {
  private TestFiles() {}

  static Path truncated(Path source, long length, Path dir) throws IOException {
    byte[] all = Files.readAllBytes(source);
    return Files.write(dir.resolve(source.getFileName() + ".cut" + length), java.util.Arrays.copyOf(all, (int) length));
  }

  static Path concatenated(Path dir, String name, Path... parts) throws IOException {
    Path target = dir.resolve(name);
    try (OutputStream out = Files.newOutputStream(target)) {
      for (Path part : parts) {
        Files.copy(part, out);
      }
    }
    return target;
  }

  static Path withBytes(Path dir, String name, byte[] content) throws IOException {
    return Files.write(dir.resolve(name), content);
  }

  /** The frames of a healthy file, in order. */
  static List<Frame> frames(Path file) throws IOException {
    List<Frame> frames = new ArrayList<>();
    try (FileBytes bytes = FileBytes.open(file)) {
      FrameScanner scanner = new FrameScanner(bytes, new ArrayList<>());
      for (Frame f = scanner.next(); f != null; f = scanner.next()) {
        frames.add(f);
      }
    }
    return frames;
  }

  /** The file without its last frame if that is an empty End: what a writer that stopped early leaves. */
  static Path withoutEnd(Path source, Path dir) throws IOException {
    List<Frame> frames = frames(source);
    Frame last = frames.get(frames.size() - 1);
    if (last.kind() != MessageKind.END || last.payloadLength() != 0 || last.end() != Files.size(source)) {
      throw new IllegalArgumentException(source + " does not end with an empty End frame");
    }
    return truncated(source, last.offset(), dir);
  }
}
