package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.lance.JniLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lance's native library (about 180 MB), loaded once per process, the first time a table is touched.
 *
 * <p>Lance's loader unpacks the library into {@code java.io.tmpdir} on every start and removes it only
 * at a clean exit ({@code deleteOnExit}), so every killed or crashed server left 180 MB behind. A
 * library the process has mapped stays usable after its file is unlinked (Linux, macOS), so the
 * unpacked copy is removed as soon as it is loaded; it is found through {@code /proc/self/maps}, which
 * names exactly this process's copy, never another server's.
 */
final class LanceNativeLibrary {
  private static final Logger log = LoggerFactory.getLogger(LanceNativeLibrary.class);
  /** The start of the name Lance's loader gives its copy ({@code File.createTempFile("liblance_jni", ".so")}). */
  private static final String UNPACKED_PREFIX = "liblance_jni";

  private static boolean loaded;

  private LanceNativeLibrary() {}

  /** Loads the library if this process has not yet, then removes the unpacked copy. */
  static synchronized void load() {
    if (loaded) {
      return;
    }
    JniLoader.ensureLoaded(); // errors propagate as Lance's own first call would raise them
    loaded = true;
    Path maps = Path.of("/proc/self/maps");
    if (Files.isReadable(maps)) {
      removeUnpackedCopies(maps, Path.of(System.getProperty("java.io.tmpdir")));
    }
  }

  /**
   * Deletes the files directly in {@code tempDir} whose names start with Lance's prefix and that
   * {@code maps} (the format of {@code /proc/PID/maps}) shows mapped; returns those deleted.
   */
  static List<Path> removeUnpackedCopies(Path maps, Path tempDir) {
    requireNonNull(maps, "maps is null");
    requireNonNull(tempDir, "tempDir is null");
    List<Path> removed = new ArrayList<>();
    try {
      Path dir = tempDir.toRealPath();
      for (String line : Files.readAllLines(maps)) {
        int slash = line.indexOf('/');
        if (slash < 0 || line.endsWith(" (deleted)")) {
          continue;
        }
        Path mapped = Path.of(line.substring(slash));
        if (dir.equals(mapped.getParent()) && mapped.getFileName().toString().startsWith(UNPACKED_PREFIX)
            && !removed.contains(mapped) && Files.deleteIfExists(mapped)) {
          removed.add(mapped);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Only disk space is at stake: the library is loaded, and deleteOnExit still removes it at exit.
      log.debug("could not remove Lance's unpacked native library from {}", tempDir, e);
    }
    return removed;
  }
}
