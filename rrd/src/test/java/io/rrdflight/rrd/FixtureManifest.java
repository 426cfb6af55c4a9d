package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code fixtures/manifest.json}: what scripts/gen-fixtures wrote into each fixture, as the Rerun SDK
 * reported it. Our golden facts.
 */
record FixtureManifest(List<Entry> files) {

  record Entry(String path, String sdkVersion, long sizeBytes, List<String> features, List<Recording> recordings,
      Map<String, String> timelines, List<String> entities, List<Stream> streams) {

    boolean damaged() {
      return streams.stream().anyMatch(Stream::truncated);
    }

    Path file() {
      return Fixtures.root().resolve(path);
    }
  }

  record Recording(String applicationId, String recordingId, String kind, int chunks, int staticChunks) {}

  record Stream(String version, String compression, boolean endFrame, boolean footer, boolean truncated) {}

  static FixtureManifest load() {
    Path file = Fixtures.root().resolve("manifest.json");
    if (!Files.isRegularFile(file)) {
      fail("fixtures/manifest.json is missing from " + Fixtures.root() + ". Generate the fixtures with scripts/gen-fixtures.");
    }
    try {
      return new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .readValue(file.toFile(), FixtureManifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
