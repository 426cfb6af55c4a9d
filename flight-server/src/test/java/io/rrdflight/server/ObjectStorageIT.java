package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordings in S3-compatible object storage (a real s3proxy process), served by the real server
 * next to the same files on local disk: every SQL answer over the bucket equals the answer over the
 * files. An object that changes or vanishes after registration is a clear error, wrong credentials
 * are named as such, and the server stays up.
 */
class ObjectStorageIT {
  private static final List<String> FILES = List.of("dataset/rec-dataset-01.rrd", "dataset/rec-dataset-02.rrd",
      "dataset/rec-dataset-03.rrd", "dataset/rec-dataset-04.rrd", "versions/rerun-0.41.0.rrd");

  @Test
  void aBucketPrefixServesWhatTheSameLocalFilesServe(@TempDir Path tmp) throws Exception {
    Path local = Files.createDirectory(tmp.resolve("local"));
    try (S3Proxy s3 = S3Proxy.start(tmp.resolve("s3"))) {
      for (String f : FILES) {
        Path file = Fixtures.path(f);
        Files.copy(file, local.resolve(file.getFileName()));
        s3.put("fleet", "runs/" + file.getFileName(), file);
      }
      s3.put("fleet", "runs/deeper/not-top-level.rrd", Fixtures.path("dataset/rec-dataset-05.rrd"));
      try (ServerProcess server = ServerProcess.start(ServerProcess.DEFAULT_JVM_FLAGS, s3.credentials(), tmp.resolve("data"),
              "-d", "bucket=s3://fleet/runs/", "-d", "disk=" + local, "--s3-endpoint", s3.endpoint());
          Connection c = DriverManager.getConnection(server.jdbcUrl())) {
        assertTrue(server.output().contains("bucket <- s3://fleet/runs/ (" + FILES.size() + " partitions)"), server.output());
        List<String> tables = tables(c, "disk");
        assertTrue(tables.containsAll(List.of("partitions", "time_1", "time_3", "frame")), tables.toString());
        assertEquals(tables, tables(c, "bucket"));
        for (String table : tables) {
          String columns = table.equals("partitions") ? "rerun_partition_id, rerun_layer_name, rerun_num_chunks, rerun_num_rows, rerun_size_bytes" : "*";
          List<String> fromDisk = rows(c, "SELECT " + columns + " FROM \"disk\".rerun.\"" + table + "\"");
          assertFalse(fromDisk.isEmpty(), table);
          assertEquals(fromDisk, rows(c, "SELECT " + columns + " FROM \"bucket\".rerun.\"" + table + "\""), table);
        }
        String view = "SELECT * FROM TABLE(\"%s\".query_view(index => 'time_1', contents => '/**', fill_latest_at => true))";
        List<String> fromBucket = rows(c, view.formatted("bucket"));
        assertEquals(rows(c, view.formatted("disk")), fromBucket);
        // Again, now from the chunks the first query kept (-Xmx1g: a chunk cache of 256 MiB): the same rows.
        assertEquals(fromBucket, rows(c, view.formatted("bucket")));

        // Changed after registration: the ETag no longer matches, whatever the size; the object's chunks
        // kept by the queries above are not served (the scan asks the store before using them).
        s3.put("fleet", "runs/rec-dataset-01.rrd", Fixtures.path("dataset/rec-dataset-02.rrd"));
        SQLException changed = assertThrows(SQLException.class, () -> count(c, "rec-dataset-01"));
        assertTrue(changed.getMessage().contains("rec-dataset-01") && changed.getMessage().contains("s3://fleet/runs/rec-dataset-01.rrd")
            && changed.getMessage().contains("changed since it was registered"), changed.getMessage());
        // Gone after registration.
        s3.delete("fleet", "runs/rec-dataset-03.rrd");
        SQLException gone = assertThrows(SQLException.class, () -> count(c, "rec-dataset-03"));
        assertTrue(gone.getMessage().contains("rec-dataset-03") && gone.getMessage().contains("no longer exists"), gone.getMessage());
        // The rest still works.
        assertTrue(server.process().isAlive());
        assertEquals(count(c, "rec-dataset-02"), countIn(c, "disk", "rec-dataset-02"));
      }
    }
  }

  @Test
  void wrongCredentialsAndAMissingBucketAreNamedAtStart(@TempDir Path tmp) throws Exception {
    try (S3Proxy s3 = S3Proxy.start(tmp.resolve("s3"))) {
      s3.put("fleet", "runs/a.rrd", Fixtures.path("dataset/rec-dataset-01.rrd"));
      Map<String, String> wrong = new HashMap<>(s3.credentials());
      wrong.put("AWS_SECRET_ACCESS_KEY", "not-the-secret");
      String refused = startFailure(tmp.resolve("d1"), wrong, "-d", "runs=s3://fleet/runs/", "--s3-endpoint", s3.endpoint());
      assertTrue(refused.contains("refused the credentials") && refused.contains("s3://fleet/runs/"), refused);
      assertFalse(refused.contains("not-the-secret"), "the secret is never printed");
      String missing = startFailure(tmp.resolve("d2"), s3.credentials(), "-d", "runs=s3://no-such-bucket/runs/", "--s3-endpoint", s3.endpoint());
      assertTrue(missing.contains("no-such-bucket") && missing.contains("NoSuchBucket"), missing);
    }
  }

  /** Starts a server that must fail: its output, after checking it exited with an error. */
  private static String startFailure(Path dataDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBinary(), "--add-opens=java.base/java.nio=ALL-UNNAMED", "-jar",
        ServerProcess.jar().toString(), "server", "--port", "0", "--data-dir", dataDir.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertNotEquals(0, p.exitValue(), out);
    return out;
  }

  private static List<String> tables(Connection c, String catalog) throws SQLException {
    List<String> names = new ArrayList<>();
    try (ResultSet rs = c.getMetaData().getTables(catalog, "rerun", "%", null)) {
      while (rs.next()) {
        names.add(rs.getString("TABLE_NAME"));
      }
    }
    names.sort(null);
    return names;
  }

  /** Every row as text, sorted: the same rows in any order compare equal. */
  private static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.append(md.getColumnLabel(i)).append('=').append(rs.getObject(i)).append('|');
        }
        out.add(row.toString());
      }
    }
    out.sort(null);
    return out;
  }

  private static long count(Connection c, String partition) throws SQLException {
    return countIn(c, "bucket", partition);
  }

  private static long countIn(Connection c, String dataset, String partition) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM \"" + dataset + "\".rerun.time_3 WHERE rerun_partition_id = '" + partition + "'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
