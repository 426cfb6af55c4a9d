package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * A separate JVM that appends to a Lance table: {@code DIR PREFIX ROWS APPENDS}; prints
 * "committed N" after each append. Crash and multi-process tests start it and kill or await it.
 */
final class TableWriterProcess {
  private TableWriterProcess() {}

  static Process start(Path dir, String prefix, int rows, int appends) throws IOException {
    // Lance unpacks its 180 MB native library into the temp dir and a killed JVM cannot remove it:
    // the child's temp dir is the test's own, which JUnit deletes.
    Path tmp = java.nio.file.Files.createDirectories(dir.toAbsolutePath().getParent().resolve("jvm-tmp"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
        TableWriterProcess.class.getName(), dir.toString(), prefix, String.valueOf(rows), String.valueOf(appends)));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int rows = Integer.parseInt(args[2]);
    int appends = Integer.parseInt(args[3]);
    Table table = new Table(EntryId.random(), "t", dir, Instant.now(), Instant.now());
    LanceTables tables = new LanceTables();
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int i = 0; i < appends; i++) {
        try (ArrowReader data = TableRows.rows(allocator, TableRows.SCHEMA, args[1] + i + "-", rows)) {
          tables.write(table, data, LanceTables.WriteMode.APPEND, allocator);
        }
        System.out.println("committed " + (i + 1));
        System.out.flush();
      }
    }
  }
}
