package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every fixture reads as the Rerun SDK that wrote it describes it in fixtures/manifest.json: the same
 * recordings and blueprints, chunk counts, static chunks, timelines with their kinds, entities and
 * streams. Golden facts come from the SDK, not from us.
 */
@ExtendWith(NoLeaks.class)
class FixtureManifestTest {
  private static final CrateVersion FIRST_WITH_STATIC_FLAG = new CrateVersion(0, 25, 0, 0);

  /** Every file the manifest lists, including large/ when scripts/gen-fixtures wrote it (--large). */
  @Test
  void everyFixtureReadsAsTheSdkDescribesIt(BufferAllocator allocator) throws IOException {
    List<String> mismatches = new ArrayList<>();
    List<FixtureManifest.Entry> entries = FixtureManifest.load().files();
    for (FixtureManifest.Entry entry : entries) {
      mismatches.addAll(compare(entry, allocator));
    }
    assertTrue(entries.size() > 0);
    assertEquals(List.of(), mismatches);
  }

  private static List<String> compare(FixtureManifest.Entry entry, BufferAllocator allocator) throws IOException {
    List<String> mismatches = new ArrayList<>();
    ChunkIndex index = ChunkIndex.build(entry.file(), allocator, ReadMode.SALVAGE);
    String at = entry.path() + ": ";

    check(mismatches, at + "damaged", entry.damaged(), index.damage().isPresent());
    Map<String, String> expectedStores = new TreeMap<>();
    for (FixtureManifest.Recording r : entry.recordings()) {
      expectedStores.put(r.kind() + " " + r.applicationId() + "/" + r.recordingId(), r.chunks() + " chunks, " + r.staticChunks() + " static");
    }
    // The manifest counts static chunks from ArrowMsg.is_static, which writers before Rerun 0.25 do
    // not set: for them it says 0. We read static-ness from the chunk itself (no index column).
    boolean flagged = entry.streams().stream().allMatch(s -> !parse(s.version()).isOlderThan(FIRST_WITH_STATIC_FLAG));
    Map<String, String> actualStores = new TreeMap<>();
    for (Store store : index.stores()) {
      List<IndexedChunk> chunks = index.chunksOf(store.id());
      long statics = flagged ? chunks.stream().filter(IndexedChunk::isStatic).count() : 0;
      actualStores.put(store.id().toString(), chunks.size() + " chunks, " + statics + " static");
    }
    check(mismatches, at + "stores", expectedStores, actualStores);

    Map<String, String> timelines = new TreeMap<>();
    Set<String> entities = new TreeSet<>();
    for (IndexedChunk chunk : index.chunks()) {
      if (chunk.store().kind() == StoreKind.RECORDING) {
        chunk.timeRanges().keySet().forEach(t -> timelines.put(t.name(), t.kind().name().toLowerCase(Locale.ROOT)));
        if (!chunk.entityPath().startsWith("/__properties")) {
          entities.add(chunk.entityPath());
        }
      }
    }
    check(mismatches, at + "timelines", new TreeMap<>(entry.timelines()), timelines);
    check(mismatches, at + "entities", new TreeSet<>(entry.entities()), entities);
    check(mismatches, at + "streams", entry.streams(), streams(index));
    return mismatches;
  }

  /** The streams of a file as the index records them, described like the manifest does. */
  private static List<FixtureManifest.Stream> streams(ChunkIndex index) {
    List<FixtureManifest.Stream> streams = new ArrayList<>();
    for (RrdStream s : index.streams()) {
      boolean last = streams.size() == index.streams().size() - 1;
      streams.add(new FixtureManifest.Stream(s.version().toString(), s.lz4() ? "lz4" : "none", s.hasEnd(), s.hasFooter(),
          last && index.damage().isPresent()));
    }
    return streams;
  }

  private static CrateVersion parse(String version) {
    String[] parts = version.split("[.-]");
    return new CrateVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), 0, 0);
  }

  private static void check(List<String> mismatches, String what, Object expected, Object actual) {
    if (!expected.equals(actual)) {
      mismatches.add(what + ": manifest says " + expected + ", we read " + actual);
    }
  }
}
