package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * "Nothing above rrd opens a recording": the catalog, the SQL planner and the server read a
 * partition's bytes only through the rrd module's {@code RecordingSource} (which the catalog hands
 * out), so S3 is one more source and no reader knows which. Checked on their main sources: no file
 * channel, no stream or byte-channel opening of files, no direct {@code LocalFile}, except the few
 * files that open the server's own state (its lock file, its token store, the spool of a table write).
 */
class RecordingAccessBoundaryTest {
  private static final List<String> FORBIDDEN = List.of("FileChannel", "RandomAccessFile", "Files.newInputStream(",
      "Files.newByteChannel(", "Files.readAllBytes(", "LocalFile.open(", "S3Object.open");
  /** The data dir's own files, not recordings (TableSpool: a client's table rows, spooled before one commit). */
  private static final Set<String> OWN_STATE = Set.of("DataDirLock.java", "SqliteAuthStore.java", "TableSpool.java");

  @Test
  void modulesAboveRrdReadRecordingsOnlyThroughTheSeam() throws IOException {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    List<String> found = new ArrayList<>();
    for (String module : List.of("catalog", "sql-planner", "flight-server")) {
      try (Stream<Path> files = Files.walk(root.resolve(module).resolve("src/main/java"))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          if (OWN_STATE.contains(file.getFileName().toString())) {
            continue;
          }
          String text = Files.readString(file);
          FORBIDDEN.stream().filter(text::contains).forEach(f -> found.add(root.relativize(file) + ": " + f));
        }
      }
    }
    assertEquals(List.of(), found, "recordings must be opened through Catalog.openSource / RecordingSources");
  }
}
