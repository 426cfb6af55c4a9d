package io.rrdflight.server.cli;

import io.rrdflight.server.redap.TrainingClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The hidden {@code --train-calls} of the build's class-data training run (src/build/class-data-archive.sh):
 * once the server is ready, it calls itself over loopback as users' clients do on a fresh server —
 * the Rerun catalog calls of both SDK generations ({@link TrainingClient}) on the .rrd files of the
 * {@code -d} directories, then Flight SQL (what ADBC asks on connecting, tables, two queries on a dataset's table) — so the archive
 * written at exit holds the classes of those first calls too. Never run on a user's data dir by
 * anything but that script; a failing call is reported and skipped, never fatal.
 */
final class TrainingCalls {
  private TrainingCalls() {}

  static void run(int port, List<Path> datasetDirs, PrintStream log) {
    new TrainingClient("127.0.0.1", port, log).run(rrdFiles(datasetDirs, log));
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
      FlightSqlClient sql = new FlightSqlClient(flight);
      // What ADBC's driver asks on connecting (its first COUNT after a restart read ~150 classes from the jar without these).
      read(sql, sql.getSqlInfo(new FlightSql.SqlInfo[0]), root -> {});
      read(sql, sql.getTableTypes(), root -> {});
      List<String> tables = new ArrayList<>();
      read(sql, sql.getTables(null, null, null, null, false), root -> {
        for (int i = 0; i < root.getRowCount(); i++) {
          String schema = text(root, "db_schema_name", i);
          if ("rerun".equals(schema)) {
            tables.add('"' + text(root, "catalog_name", i) + "\".rerun.\"" + text(root, "table_name", i) + '"');
          }
        }
      });
      if (!tables.isEmpty()) {
        read(sql, sql.execute("SELECT * FROM " + tables.get(0) + " LIMIT 1000"), root -> {});
        read(sql, sql.execute("SELECT rerun_partition_id, COUNT(*) FROM " + tables.get(0) + " GROUP BY rerun_partition_id"), root -> {});
      }
    } catch (Exception e) {
      log.println("training Flight SQL calls failed (ignored): " + e);
    }
  }

  private static String text(VectorSchemaRoot root, String column, int row) {
    var value = ((VarCharVector) root.getVector(column)).getObject(row);
    return value == null ? "" : value.toString();
  }

  private interface Batches {
    void accept(VectorSchemaRoot root);
  }

  private static void read(FlightSqlClient sql, FlightInfo info, Batches batches) throws Exception {
    for (var endpoint : info.getEndpoints()) {
      try (FlightStream stream = sql.getStream(endpoint.getTicket())) {
        while (stream.next()) {
          batches.accept(stream.getRoot());
        }
      }
    }
  }

  private static List<Path> rrdFiles(List<Path> dirs, PrintStream log) {
    List<Path> files = new ArrayList<>();
    for (Path dir : dirs) {
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(p -> p.getFileName().toString().endsWith(".rrd")).sorted().forEach(files::add);
      } catch (IOException e) {
        log.println("training: cannot list " + dir + " (ignored): " + e);
      }
    }
    return files;
  }
}
