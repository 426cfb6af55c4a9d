package io.rrdflight.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded by the scan's window budget, not by the partition: a server with a 200 MB
 * heap (and, by default, as much direct memory) answers a query view with latest-at fill over
 * fixtures/large/large.rrd, a 270 MB recording that is one partition, through JDBC, completely.
 */
class LargeRecordingIT {
  /** Distinct frames: scalars on 0..999,999, points on even frames below that, text logs every 10th frame up to 1,499,990. */
  static final long FRAME_ROWS = 1_000_000 + 50_000;

  @TempDir Path dataDir;
  @TempDir Path datasetDir;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // a server that loses a stream must fail this, not hang it
  void fillLatestAtOverTheLargeRecordingCompletesWithA200MbHeap() throws Exception {
    Path large = Fixtures.root().resolve("large/large.rrd");
    Assumptions.assumeTrue(Files.isRegularFile(large),
        "skipped: " + large + " is missing; scripts/gen-fixtures --large writes it (about 3 s)");
    Files.createSymbolicLink(datasetDir.resolve("large.rrd"), large);
    try (ServerProcess server = ServerProcess.start(List.of("-Xmx200m"), dataDir, "-d", "large=" + datasetDir);
        Connection c = DriverManager.getConnection(server.jdbcUrl());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM TABLE(\"large\".query_view(index => 'frame', contents => '/**', "
            + "fill_latest_at => true))")) {
      int scalars = rs.findColumn("/large/scalars/s3:Scalars:scalars");
      int points = rs.findColumn("/large/points/p1:Points3D:positions");
      long rows = 0;
      long previousFrame = -1;
      long unfilled = 0;
      while (rs.next()) {
        long frame = rs.getLong("frame");
        assertTrue(frame > previousFrame, "rows ascend by frame: " + frame + " after " + previousFrame);
        previousFrame = frame;
        // From frame 0 on every scalar and point column has a value or a filled one.
        if (rs.getObject(scalars) == null || rs.getObject(points) == null) {
          unfilled++;
        }
        rows++;
      }
      assertEquals(FRAME_ROWS, rows);
      assertEquals(1_499_990, previousFrame);
      assertEquals(0, unfilled, "rows with a cell that fill_latest_at should have filled");
      assertTrue(server.process().isAlive());
      assertFalse(server.output().contains("OutOfMemoryError"), server.output());
    }
  }
}
