package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileTest {
  @TempDir Path tmp;

  @Test
  void aHeldFileReadsAsTheFileItWasReadFromAndLeavesItOpen() throws IOException {
    byte[] content = new byte[1000];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 7);
    }
    Path path = Files.write(tmp.resolve("small.rrd"), content);
    try (LocalFile file = LocalFile.open(path)) {
      LocalFile held = file.held(content.length);
      assertNotSame(file, held);
      assertEquals(file.name(), held.name());
      assertEquals(file.size(), held.size());
      assertEquals(file.version(), held.version());
      Files.write(path, new byte[content.length]); // the copy is the file as it was when held
      ByteBuffer part = ByteBuffer.allocate(100);
      held.readFully(450, part);
      assertArrayEquals(java.util.Arrays.copyOfRange(content, 450, 550), part.array());
      assertThrows(RrdFormatException.class, () -> held.readFully(950, ByteBuffer.allocate(100)), "past the end");
      held.close();
      file.readFully(0, ByteBuffer.allocate(10)); // still open: its owner closes it
    }
  }

  @Test
  void aFileLargerThanTheLimitIsNotHeld() throws IOException {
    Path path = Files.write(tmp.resolve("large.rrd"), new byte[1001]);
    try (LocalFile file = LocalFile.open(path)) {
      assertSame(file, file.held(1000));
    }
  }
}
