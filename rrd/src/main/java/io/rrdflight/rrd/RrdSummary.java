package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a file holds, for people ({@link #toText()}) and scripts ({@link #toJson}): its streams, and per
 * store the chunk, row and byte counts, timelines with their ranges, and entities with their
 * components. Made from a scan that also checks every chunk payload as decoding it would, so damage
 * anywhere in the file is found and located; no vectors are built.
 *
 * @param footerVerified whether the file ends with a 0.28+ footer that checks out for the whole file
 * @param damage where reading stopped, if the file is damaged; everything else is what came before
 */
public record RrdSummary(
    String file,
    long sizeBytes,
    List<RrdStream> streams,
    boolean footerVerified,
    List<StoreSummary> stores,
    List<String> warnings,
    Optional<RrdFormatException> damage) {

  /** One store: totals, timelines (range over all its chunks) and entities. */
  public record StoreSummary(Store store, long chunks, long staticChunks, long rows, long bytes, SortedMap<Timeline, IndexRange> timelines,
      List<EntitySummary> entities) {}

  /** One entity of a store. {@code bytes} counts its chunks as stored (compressed). */
  public record EntitySummary(String path, long chunks, long rows, long bytes, List<String> components) {}

  public RrdSummary {
    requireNonNull(file, "file is null");
    streams = List.copyOf(streams);
    stores = List.copyOf(stores);
    warnings = List.copyOf(warnings);
    requireNonNull(damage, "damage is null");
  }

  /**
   * Scans {@code file} and summarizes it. Never throws for damage: reading stops there and
   * {@link #damage()} says where; whether that is an error is the caller's call.
   *
   * @throws IOException if the file cannot be opened or read at all
   */
  public static RrdSummary inspect(Path file) throws IOException {
    ChunkIndex index = ChunkIndex.verifyingScan(file, ReadMode.SALVAGE);
    boolean footerVerified;
    try (FileBytes bytes = FileBytes.open(file)) {
      footerVerified = FooterIndex.hasVerifiedFooter(bytes);
    }
    return of(index, footerVerified);
  }

  /** Summarizes an index already built. */
  public static RrdSummary of(ChunkIndex index, boolean footerVerified) {
    List<StoreSummary> stores = new ArrayList<>();
    for (Store store : index.stores()) {
      List<IndexedChunk> chunks = index.chunksOf(store.id());
      SortedMap<Timeline, IndexRange> timelines = new TreeMap<>();
      SortedMap<String, List<IndexedChunk>> byEntity = new TreeMap<>();
      for (IndexedChunk c : chunks) {
        c.timeRanges().forEach((t, r) -> timelines.merge(t, r, IndexRange::span));
        byEntity.computeIfAbsent(c.entityPath(), k -> new ArrayList<>()).add(c);
      }
      List<EntitySummary> entities = new ArrayList<>();
      byEntity.forEach((path, cs) -> {
        TreeSet<String> components = new TreeSet<>();
        cs.forEach(c -> c.components().forEach(d -> components.add(d.component())));
        entities.add(new EntitySummary(path, cs.size(), rows(cs), bytes(cs), List.copyOf(components)));
      });
      stores.add(new StoreSummary(store, chunks.size(), chunks.stream().filter(IndexedChunk::isStatic).count(), rows(chunks), bytes(chunks),
          timelines, entities));
    }
    return new RrdSummary(index.file(), index.fileSize(), index.streams(), footerVerified, stores, index.warnings(), index.damage());
  }

  private static long rows(List<IndexedChunk> chunks) {
    return chunks.stream().mapToLong(IndexedChunk::rowCount).sum();
  }

  private static long bytes(List<IndexedChunk> chunks) {
    return chunks.stream().mapToLong(IndexedChunk::length).sum();
  }

  // --- text ---

  /** A few lines per store, for a terminal. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append(file).append(": ").append(size(sizeBytes)).append(", ").append(describeStreams()).append('\n');
    for (StoreSummary s : stores) {
      out.append(String.format("  %s (Rerun %s): %s (%,d static), %s, %s%n", s.store().id(), s.store().version(), count(s.chunks(), "chunk"),
          s.staticChunks(), count(s.rows(), "row"), size(s.bytes())));
      if (!s.timelines().isEmpty()) {
        out.append("    timelines:\n");
        int width = s.timelines().keySet().stream().mapToInt(t -> t.name().length()).max().orElse(0);
        s.timelines().forEach((t, r) -> out.append(String.format("      %-" + width + "s  %-9s  %s .. %s%n", t.name(),
            t.kind().name().toLowerCase(Locale.ROOT), format(t.kind(), r.min()), format(t.kind(), r.max()))));
      }
      out.append("    entities:\n");
      int width = s.entities().stream().mapToInt(e -> e.path().length()).max().orElse(0);
      for (EntitySummary e : s.entities()) {
        out.append(String.format("      %-" + width + "s  %13s  %15s  %9s  %s%n", e.path(), count(e.chunks(), "chunk"), count(e.rows(), "row"),
            size(e.bytes()), String.join(", ", e.components())));
      }
    }
    for (String warning : warnings) {
      out.append("  warning: ").append(warning).append('\n');
    }
    damage.ifPresent(d -> out.append("  damaged: ").append(d.getMessage()).append("; shown is what came before\n"));
    return out.toString();
  }

  private String describeStreams() {
    List<String> parts = new ArrayList<>();
    for (RrdStream s : streams) {
      parts.add("Rerun " + s.version() + (s.lz4() ? ", LZ4" : "") + (s.hasEnd() ? "" : ", no End frame") + (s.hasFooter() ? ", footer" : ""));
    }
    String footer = footerVerified ? "; footer verified" : "";
    return streams.size() == 1 ? "1 stream (" + parts.get(0) + ")" + footer : streams.size() + " streams (" + String.join("; ", parts) + ")" + footer;
  }

  private static String count(long n, String noun) {
    return String.format("%,d %s%s", n, noun, n == 1 ? "" : "s");
  }

  private static String size(long bytes) {
    if (bytes < 1_000) {
      return bytes + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1_000 && unit < units.length - 1) {
      value /= 1_000;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  /** A timeline value as people read it: a number, an ISO-8601 UTC instant, or seconds. */
  static String format(TimelineKind kind, long value) {
    return switch (kind) {
      case SEQUENCE -> Long.toString(value);
      case TIMESTAMP -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L), Math.floorMod(value, 1_000_000_000L)).toString();
      case DURATION -> BigDecimal.valueOf(value, 9).stripTrailingZeros().toPlainString() + "s";
    };
  }

  // --- JSON ---

  /**
   * A JSON array with one object per summary. A damaged file's object holds only {@code file} and
   * {@code error} unless {@code salvage} is set; then it holds what was read plus {@code damage}.
   */
  public static String toJson(List<RrdSummary> summaries, boolean salvage) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ArrayNode array = mapper.createArrayNode();
    for (RrdSummary s : summaries) {
      array.add(s.toJsonNode(mapper, salvage));
    }
    try {
      return mapper.writeValueAsString(array);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode toJsonNode(ObjectMapper mapper, boolean salvage) {
    ObjectNode out = mapper.createObjectNode().put("file", file.toString());
    if (damage.isPresent() && !salvage) {
      out.set("error", location(mapper, damage.get()));
      return out;
    }
    out.put("size_bytes", sizeBytes);
    ArrayNode streamsNode = out.putArray("streams");
    for (RrdStream s : streams) {
      streamsNode.addObject().put("offset", s.offset()).put("version", s.version().toString()).put("compression", s.lz4() ? "lz4" : "none")
          .put("end_frame", s.hasEnd()).put("footer", s.hasFooter());
    }
    out.put("footer_verified", footerVerified);
    ArrayNode storesNode = out.putArray("stores");
    for (StoreSummary s : stores) {
      ObjectNode store = storesNode.addObject()
          .put("kind", s.store().kind().name().toLowerCase(Locale.ROOT))
          .put("application_id", s.store().applicationId())
          .put("recording_id", s.store().recordingId())
          .put("version", s.store().version().toString())
          .put("chunks", s.chunks())
          .put("static_chunks", s.staticChunks())
          .put("rows", s.rows())
          .put("bytes", s.bytes());
      ObjectNode timelines = store.putObject("timelines");
      for (Map.Entry<Timeline, IndexRange> t : s.timelines().entrySet()) {
        TimelineKind kind = t.getKey().kind();
        timelines.putObject(t.getKey().name()).put("kind", kind.name().toLowerCase(Locale.ROOT))
            .put("min", t.getValue().min()).put("max", t.getValue().max())
            .put("min_text", format(kind, t.getValue().min())).put("max_text", format(kind, t.getValue().max()));
      }
      ArrayNode entities = store.putArray("entities");
      for (EntitySummary e : s.entities()) {
        ObjectNode entity = entities.addObject().put("path", e.path()).put("chunks", e.chunks()).put("rows", e.rows()).put("bytes", e.bytes());
        e.components().forEach(entity.putArray("components")::add);
      }
    }
    warnings.forEach(out.putArray("warnings")::add);
    damage.ifPresent(d -> out.set("damage", location(mapper, d)));
    return out;
  }

  private static ObjectNode location(ObjectMapper mapper, RrdFormatException e) {
    return mapper.createObjectNode().put("offset", e.offset()).put("problem", e.problem()).put("message", e.getMessage());
  }
}
