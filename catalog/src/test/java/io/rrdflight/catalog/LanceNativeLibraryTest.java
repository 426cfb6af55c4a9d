package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LanceNativeLibraryTest {
  @TempDir Path temp;

  @Test
  void removesOnlyTheCopyThisProcessMappedFromTheTempDirectory() throws Exception {
    Path tmp = Files.createDirectory(temp.resolve("tmp"));
    Path ours = Files.writeString(tmp.resolve("liblance_jni4242.so"), "x");
    Path anotherServers = Files.writeString(tmp.resolve("liblance_jni777.so"), "x");
    Path elsewhere = Files.writeString(temp.resolve("liblance_jni1.so"), "x");
    Path otherLibrary = Files.writeString(tmp.resolve("libsqlitejdbc.so"), "x");
    Path maps = Files.writeString(temp.resolve("maps"), String.join("\n",
        "7f0000000000-7f0000001000 r--p 00000000 08:01 1234 " + ours,
        "7f0000001000-7f0000002000 r-xp 00001000 08:01 1234 " + ours,
        "7f0000003000-7f0000004000 r--p 00000000 08:01 99 " + elsewhere,
        "7f0000005000-7f0000006000 r--p 00000000 08:01 98 " + otherLibrary,
        "7f0000007000-7f0000008000 rw-p 00000000 00:00 0 ",
        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]") + "\n");

    List<Path> removed = LanceNativeLibrary.removeUnpackedCopies(maps, tmp);

    assertEquals(List.of(ours), removed);
    assertFalse(Files.exists(ours));
    assertTrue(Files.exists(anotherServers), "a copy another process mapped is not ours to remove");
    assertTrue(Files.exists(elsewhere));
    assertTrue(Files.exists(otherLibrary));
  }

  @Test
  void anUnreadableMapsFileRemovesNothing() {
    assertEquals(List.of(), LanceNativeLibrary.removeUnpackedCopies(temp.resolve("missing"), temp));
  }

  @Test
  void afterLoadingNoUnpackedCopyOfThisProcessIsLeftInTheTempDirectory() throws Exception {
    LanceNativeLibrary.load();

    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
    List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .filter(line -> line.contains("/liblance_jni")).toList();
    assertFalse(mapped.isEmpty(), "the library is mapped");
    for (String line : mapped) {
      Path file = Path.of(line.substring(line.indexOf('/')).replace(" (deleted)", ""));
      assertFalse(file.getParent().equals(tmp) && Files.exists(file), "still on disk: " + file);
    }
  }
}
