package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RrdSummaryTest {

  @Test
  void summaryTotalsAreThoseOfTheIndex() throws IOException {
    Path file = Fixtures.withFeature("two-recordings");
    RrdSummary summary = RrdSummary.inspect(file);
    ChunkIndex index = ChunkIndex.scan(file, ReadMode.STRICT);

    assertEquals(Files.size(file), summary.sizeBytes());
    assertEquals(index.stores().size(), summary.stores().size());
    for (RrdSummary.StoreSummary s : summary.stores()) {
      List<IndexedChunk> chunks = index.chunksOf(s.store().id());
      assertEquals(chunks.size(), s.chunks());
      assertEquals(chunks.stream().mapToLong(IndexedChunk::rowCount).sum(), s.rows());
      assertEquals(chunks.stream().mapToLong(IndexedChunk::length).sum(), s.bytes());
      assertEquals(s.chunks(), s.entities().stream().mapToLong(RrdSummary.EntitySummary::chunks).sum());
    }
    assertEquals(2, summary.streams().size(), "the two-recordings fixture is two concatenated streams");
    assertTrue(summary.damage().isEmpty());
  }

  @Test
  void jsonCarriesWhatTheSummarySays() throws IOException {
    Path file = Fixtures.version("0.41.0");
    RrdSummary summary = RrdSummary.inspect(file);
    JsonNode json = new ObjectMapper().readTree(RrdSummary.toJson(List.of(summary), false)).get(0);

    assertEquals(file.toString(), json.get("file").asText());
    assertTrue(json.get("footer_verified").asBoolean());
    assertEquals("0.41.0", json.get("streams").get(0).get("version").asText());
    RrdSummary.StoreSummary store = summary.stores().get(0);
    JsonNode storeJson = json.get("stores").get(0);
    assertEquals(store.store().recordingId(), storeJson.get("recording_id").asText());
    assertEquals(store.chunks(), storeJson.get("chunks").asLong());
    store.timelines().forEach((timeline, range) -> {
      JsonNode t = storeJson.get("timelines").get(timeline.name());
      assertEquals(range.min(), t.get("min").asLong());
      assertEquals(range.max(), t.get("max").asLong());
    });
    assertEquals(store.entities().size(), storeJson.get("entities").size());
    assertFalse(json.has("damage"));
  }

  @Test
  void damagedFileIsAnErrorInJsonUnlessSalvaged() throws IOException {
    RrdSummary summary = RrdSummary.inspect(Fixtures.withFeature("partial-frame"));
    RrdFormatException damage = summary.damage().orElseThrow();
    ObjectMapper mapper = new ObjectMapper();

    JsonNode strict = mapper.readTree(RrdSummary.toJson(List.of(summary), false)).get(0);
    assertEquals(damage.offset(), strict.get("error").get("offset").asLong());
    assertFalse(strict.has("stores"), "a failed file shows no partial content unless salvaged");

    JsonNode salvaged = mapper.readTree(RrdSummary.toJson(List.of(summary), true)).get(0);
    assertEquals(damage.offset(), salvaged.get("damage").get("offset").asLong());
    assertEquals(summary.stores().get(0).chunks(), salvaged.get("stores").get(0).get("chunks").asLong());
    assertTrue(summary.toText().contains("damaged: " + damage.getMessage()));
  }

  @Test
  void textShowsStoresTimelinesAndEntities() throws IOException {
    RrdSummary summary = RrdSummary.inspect(Fixtures.withFeature("blueprint"));
    String text = summary.toText();

    for (RrdSummary.StoreSummary s : summary.stores()) {
      assertTrue(text.contains(s.store().id() + " (Rerun " + s.store().version() + ")"), text);
      s.timelines().keySet().forEach(t -> assertTrue(text.contains(t.name()), t.name()));
      s.entities().forEach(e -> assertTrue(text.contains(e.path()), e.path()));
    }
  }

  @Test
  void timelineValuesAreFormattedByKind() {
    assertEquals("42", RrdSummary.format(TimelineKind.SEQUENCE, 42));
    assertEquals("2024-01-15T10:30:45.123456789Z", RrdSummary.format(TimelineKind.TIMESTAMP, 1_705_314_645_123_456_789L));
    assertEquals("1969-12-31T23:59:59.999999999Z", RrdSummary.format(TimelineKind.TIMESTAMP, -1));
    assertEquals("4.9s", RrdSummary.format(TimelineKind.DURATION, 4_900_000_000L));
    assertEquals("-0.000000001s", RrdSummary.format(TimelineKind.DURATION, -1));
  }
}
