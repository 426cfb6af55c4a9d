package io.rrdflight.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.server.Fixtures;
import io.rrdflight.server.ServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each example runs against the real server serving fixtures/dataset as "sample", as scripts/serve-sample does. */
class ExamplesIT {
  @TempDir static Path dataDir;
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start(dataDir, "-d", "sample=" + Fixtures.path("dataset"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** What the example prints, run as a user runs it but with this server's URL. */
  private interface Example {
    void main(String[] args) throws Exception;
  }

  private static List<String> run(Example example, String... args) throws Exception {
    String[] withUrl = new String[args.length + 1];
    withUrl[0] = server.jdbcUrl();
    System.arraycopy(args, 0, withUrl, 1, args.length);
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      example.main(withUrl);
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    original.print(printed);
    return printed.lines().toList();
  }

  @Test
  void listDatasetsShowsTheTablesAndEveryPartition() throws Exception {
    List<String> lines = run(ListDatasets::main);
    assertEquals("dataset sample: tables partitions, static_data, frame, log_tick, log_time, sim_time, time_1, time_2, time_3, wall_clock",
        lines.get(0));
    assertEquals(12, lines.stream().filter(l -> l.startsWith("  partition rec-dataset-")).count());
  }

  @Test
  void queryViewWithFillReturnsRowsOfEveryPartition() throws Exception {
    List<String> lines = run(QueryViewWithFill::main, "sample", "time_3", "/obj1 /obj2");
    assertEquals("columns: rerun_partition_id, frame, log_tick, log_time, sim_time, time_1, time_2, time_3, wall_clock,"
        + " /obj1:Points3D:positions, /obj2:Points3D:positions", lines.get(0));
    String last = lines.get(lines.size() - 1);
    assertTrue(last.matches("\\d+ rows from 12 partitions"), last);
  }

  @Test
  void aggregateOverPartitionsSummarisesEachRecording() throws Exception {
    List<String> lines = run(AggregateOverPartitions::main, "sample");
    assertEquals("partition | steps | first_step | last_step | mean_x", lines.get(0));
    assertEquals(13, lines.size());
    assertTrue(lines.get(1).startsWith("rec-dataset-01 | 8 | 1 | 10 | "), lines.get(1));
  }

  @Test
  void writeLabelsInsertsATableOverJdbcAndJoinsIt() throws Exception {
    List<String> lines = run(WriteLabels::main, "sample");
    assertEquals("inserted 12 rows into reviewed", lines.get(0));
    assertTrue(lines.subList(1, lines.size()).stream().allMatch(l -> l.matches("  rec-dataset-\\d\\d: \\d*[02468] chunks")),
        String.join("\n", lines));
    List<String> listed = run(ListDatasets::main);
    assertEquals("tables: reviewed", listed.get(listed.size() - 1));
  }
}
