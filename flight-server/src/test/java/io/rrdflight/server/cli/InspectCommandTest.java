package io.rrdflight.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rrdflight.server.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rrdflight inspect}: text, JSON, located errors and salvage, through the CLI entry point. */
class InspectCommandTest {

  @Test
  void textNamesRecordingsTimelinesAndEntities() {
    CliRun r = CliRun.of("inspect", Fixtures.path("single/two_recordings.rrd").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("rec-single-two-a") && r.out().contains("rec-single-two-b"), r.out());
    assertTrue(r.out().contains("frame") && r.out().contains("/points"), r.out());
  }

  @Test
  void jsonIsAnArrayWithOneSummaryPerFile() throws Exception {
    CliRun r = CliRun.of("inspect", "--json", Fixtures.path("dataset/rec-dataset-01.rrd").toString(), Fixtures.path("versions/rerun-0.41.0.rrd").toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertEquals(2, json.size());
    assertEquals("rec-dataset-01", json.get(0).get("stores").get(0).get("recording_id").asText());
    assertTrue(json.get(1).get("footer_verified").asBoolean(), "0.41.0 files carry a verified footer");
  }

  @Test
  void damagedFileIsALocatedErrorWithExitCode1AndNoStackTrace() {
    Path file = Fixtures.path("single/truncated_mid_chunk.rrd");
    CliRun r = CliRun.of("inspect", file.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains(file.toString()) && r.err().contains("at byte "), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void salvageShowsWhatWasReadableWithAWarning() {
    CliRun r = CliRun.of("inspect", "--salvage", Fixtures.path("single/truncated_mid_chunk.rrd").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("warning"), r.err());
    assertTrue(r.out().contains("rec-single-truncated-mid-chunk"), r.out());
  }

  @Test
  void notAnRrdFileSaysWhatWasExpected(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("notes.rrd"), "hello, not a recording");
    CliRun r = CliRun.of("inspect", file.toString());
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("at byte 0") && r.err().contains("RRF2"), r.err());
  }

  @Test
  void missingFileIsAClearError(@TempDir Path tmp) {
    CliRun r = CliRun.of("inspect", tmp.resolve("nope.rrd").toString());
    assertTrue(r.exitCode() == 1 || r.exitCode() == 2, "exit " + r.exitCode());
    assertTrue(r.err().contains("nope.rrd"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }
}
