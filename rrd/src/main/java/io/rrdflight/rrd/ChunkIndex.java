package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Every chunk of one .rrd file: its store, entity, time ranges, components and byte span, built in one
 * pass and small enough to keep for every file of a dataset. Lets a query pick chunks without
 * decoding them, then read each by offset with {@link RrdReader#readChunk(Path, long, long, BufferAllocator)}.
 *
 * <p>Files written by Rerun 0.28 and later carry the same information in their footer; when it checks
 * out, the index is read from there alone. Otherwise the file is scanned: every frame is read, and of
 * each chunk only the IPC schema and the index columns are read and decoded (LZ4 blocks only up to the
 * end of the index columns), on every core for a large file. So an index finds damage to the framing
 * and to chunk heads; damage further inside a chunk shows, located, when the chunk is read.
 *
 * <p>An index can be saved with {@link #writeTo(Path)} and loaded with {@link #readFrom(Path, Path)};
 * {@link #loadOrBuild} does both as needed.
 */
public final class ChunkIndex {
  /** Where an index's contents came from. */
  public enum Source {
    /** The 0.28+ footer's manifests. */
    FOOTER,
    /** A scan of every frame. */
    SCAN
  }

  /** How messages name the recording (a path, or an object's URI). */
  private final String file;
  private final long fileSize;
  private final long lastModifiedMillis;
  private final Source source;
  private final List<RrdStream> streams;
  private final List<Store> stores;
  private final List<IndexedChunk> chunks;
  private final RrdFormatException damage;
  private final List<String> warnings;
  private final Map<StoreId, Schema> footerSchemas;

  ChunkIndex(String file, long fileSize, long lastModifiedMillis, Source source, List<RrdStream> streams, List<Store> stores,
      List<IndexedChunk> chunks, RrdFormatException damage, List<String> warnings) {
    this(file, fileSize, lastModifiedMillis, source, streams, stores, chunks, damage, warnings, Map.of());
  }

  ChunkIndex(String file, long fileSize, long lastModifiedMillis, Source source, List<RrdStream> streams, List<Store> stores,
      List<IndexedChunk> chunks, RrdFormatException damage, List<String> warnings, Map<StoreId, Schema> footerSchemas) {
    this.file = requireNonNull(file, "file is null");
    this.fileSize = fileSize;
    this.lastModifiedMillis = lastModifiedMillis;
    this.source = requireNonNull(source, "source is null");
    this.streams = List.copyOf(streams);
    this.stores = List.copyOf(stores);
    this.chunks = List.copyOf(chunks);
    this.damage = damage;
    this.warnings = List.copyOf(warnings);
    this.footerSchemas = Map.copyOf(footerSchemas);
  }

  /** Indexes {@code file}, from its footer if it has a valid one; throws at the first damage. */
  public static ChunkIndex build(Path file, BufferAllocator allocator) throws IOException {
    return build(file, allocator, ReadMode.STRICT);
  }

  /**
   * Indexes {@code file}, from its footer if it has a valid one, else by a scan. {@code allocator}
   * holds the footer's manifest while it is read; nothing stays allocated afterwards.
   */
  public static ChunkIndex build(Path file, BufferAllocator allocator, ReadMode mode) throws IOException {
    try (LocalFile source = LocalFile.open(file)) {
      return build(source, allocator, mode);
    }
  }

  /** As {@link #build(Path, BufferAllocator, ReadMode)}, from an open source the caller keeps. */
  public static ChunkIndex build(RecordingSource source, BufferAllocator allocator, ReadMode mode) throws IOException {
    return build(source, allocator, mode, ContentsWanted.NONE).index();
  }

  /**
   * An index, and what the component columns of some of its chunks hold ({@link
   * RrdReader#readComponentContents}), by the chunk's offset.
   *
   * @param contents for the chunks a scan had decoded whole anyway and a schema reader would read
   *     (each chunk with a column not yet seen holding a value); none for an index read from a footer,
   *     or for a file large enough to be summarised on several threads
   */
  public record WithContents(ChunkIndex index, Map<Long, List<ComponentContents>> contents) {
    public WithContents {
      requireNonNull(index, "index is null");
      contents = Map.copyOf(contents);
    }
  }

  /**
   * As {@link #build(RecordingSource, BufferAllocator, ReadMode)}, with the contents of the chunks of
   * a small file that a schema reader would read, while they are decoded: registering a file of a few
   * small chunks then reads and decompresses each once, not twice. The index is the same.
   */
  public static WithContents buildWithContents(RecordingSource source, BufferAllocator allocator, ReadMode mode) throws IOException {
    return build(source, allocator, mode, ContentsWanted.forSchema());
  }

  private static WithContents build(RecordingSource source, BufferAllocator allocator, ReadMode mode, ContentsWanted wanted)
      throws IOException {
    requireNonNull(allocator, "allocator is null");
    long lastModified = lastModifiedMillis(source);
    List<String> notes = new ArrayList<>();
    FileBytes bytes = FileBytes.over(source);
    Optional<FooterIndex.Contents> footer = FooterIndex.read(bytes, allocator, notes);
    if (footer.isPresent()) {
      return new WithContents(new ChunkIndex(source.name(), bytes.size(), lastModified, Source.FOOTER, List.of(footer.get().stream()),
          footer.get().stores(), footer.get().chunks(), null, notes, footer.get().schemas()), Map.of());
    }
    return scan(source, mode, lastModified, notes, false, 0, wanted);
  }

  /** A local file's modification time in milliseconds (what a saved index checks); 0 for other sources. */
  static long lastModifiedMillis(RecordingSource source) {
    return source instanceof LocalFile ? Long.parseLong(source.version()) / 1_000_000L : 0;
  }

  /**
   * Indexes {@code file} by reading every frame, ignoring any footer. Chunks of a large file are
   * summarised on as many threads as the machine has cores.
   */
  public static ChunkIndex scan(Path file, ReadMode mode) throws IOException {
    return scan(file, mode, false, 0);
  }

  /**
   * Like {@link #scan(Path, ReadMode)}, with chunks summarised on {@code threads} threads: 1 on the
   * caller's (say, when indexing many files at once), 0 as many as pay off for the file's size on this
   * machine. The index is the same whatever the number.
   */
  public static ChunkIndex scan(Path file, ReadMode mode, int threads) throws IOException {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be 0 (automatic) or more, is " + threads);
    }
    return scan(file, mode, false, threads);
  }

  /**
   * Like {@link #scan(Path, ReadMode)}, and also checks every chunk's whole payload as decoding it
   * would (a plain scan decompresses only up to the index columns): damage anywhere is found.
   */
  static ChunkIndex verifyingScan(Path file, ReadMode mode) throws IOException {
    return scan(file, mode, true, 0);
  }

  /** A scan, verifying or not, on {@code threads} threads as {@link #scan(Path, ReadMode, int)} says. */
  static ChunkIndex scan(Path file, ReadMode mode, boolean verify, int threads) throws IOException {
    try (LocalFile source = LocalFile.open(file)) {
      return scan(source, mode, lastModifiedMillis(source), List.of(), verify, threads, ContentsWanted.NONE).index();
    }
  }

  /**
   * The frame walk runs here, in file order; chunk summaries come from a {@link ChunkSummarizer},
   * possibly on other threads and ahead of the walk, and are applied in file order too. So the first
   * damage in the file stops the scan, as in a walk that summarised each chunk in turn: a damaged
   * chunk wins over damage the walk found further on, and nothing after it counts (chunks, stores,
   * streams, warnings).
   */
  private static WithContents scan(RecordingSource source, ReadMode mode, long lastModified, List<String> notes, boolean verify, int threads,
      ContentsWanted wanted) throws IOException {
    try (RrdReader reader = RrdReader.open(source, mode);
        ChunkSummarizer summarizer = new ChunkSummarizer(reader.bytes(),
            threads > 0 ? threads : ChunkSummarizer.threadsFor(reader.fileSize()), verify, wanted)) {
      Scan scan = new Scan(reader);
      Deque<Scan.Step> ahead = new ArrayDeque<>();
      try {
        boolean going = true;
        while (going) {
          Optional<RrdMessage> next;
          try {
            next = reader.next();
          } catch (RrdFormatException e) {
            scan.applyAll(ahead); // damage to a chunk before this one is the first damage
            throw e;
          }
          if (next.isEmpty()) {
            break;
          }
          Future<ChunkSummary> summary = null;
          if (next.get() instanceof RrdMessage.ChunkRef ref) {
            summary = summarizer.submit(reader.arrowMsg(ref));
          }
          ahead.add(new Scan.Step(next.get(), summary, reader.warningCount()));
          if (ahead.size() > summarizer.lookahead()) {
            going = scan.apply(ahead.poll());
          }
        }
        if (going) {
          scan.applyAll(ahead);
        }
      } finally {
        ahead.forEach(Scan.Step::cancel);
      }
      List<String> warnings = new ArrayList<>(notes);
      List<String> walked = reader.warnings();
      warnings.addAll(walked.subList(0, Math.min(walked.size(), scan.warningsKept)));
      return new WithContents(new ChunkIndex(source.name(), reader.fileSize(), lastModified, Source.SCAN, new ArrayList<>(scan.streams.values()),
          new ArrayList<>(scan.stores.values()), scan.chunks, reader.damage().orElse(null), warnings), scan.contents);
    }
  }

  /** What a scan has gathered, message by message in file order. */
  private static final class Scan {
    /** A message the walk yielded, with its chunk's summary under way, and how many warnings the walk had given by then. */
    record Step(RrdMessage message, Future<ChunkSummary> summary, int warnings) {
      void cancel() {
        if (summary != null) {
          summary.cancel(false);
        }
      }
    }

    private final RrdReader reader;
    final Map<Long, RrdStream> streams = new LinkedHashMap<>();
    final Map<StoreId, Store> stores = new LinkedHashMap<>();
    final List<IndexedChunk> chunks = new ArrayList<>();
    /** The summaries' column contents, by chunk offset, of the chunks that count. */
    final Map<Long, List<ComponentContents>> contents = new HashMap<>();
    /** The walk's warnings that count: those given before the damage that stopped the scan. */
    int warningsKept;

    Scan(RrdReader reader) {
      this.reader = reader;
      this.warningsKept = Integer.MAX_VALUE;
    }

    /** Applies every step in order; false if one stopped the scan. */
    boolean applyAll(Deque<Step> steps) throws IOException {
      while (!steps.isEmpty()) {
        if (!apply(steps.poll())) {
          return false;
        }
      }
      return true;
    }

    /**
     * Applies the next message; false if it is a damaged chunk, which ends the scan in salvage mode
     * (strict mode throws).
     */
    boolean apply(Step step) throws IOException {
      StreamHeader header = step.message().frame().stream();
      streams.putIfAbsent(header.offset(), new RrdStream(header.offset(), header.version(), header.lz4(), false, false));
      if (step.message() instanceof RrdMessage.StoreInfo info) {
        stores.put(info.store().id(), info.store()); // the last announcement wins
      } else if (step.message() instanceof RrdMessage.StreamEnd end) {
        streams.put(header.offset(), new RrdStream(header.offset(), header.version(), header.lz4(), true, end.hasFooter()));
      } else if (step.message() instanceof RrdMessage.ChunkRef ref) {
        ChunkSummary summary;
        try {
          summary = ChunkSummarizer.take(step.summary());
        } catch (RrdFormatException e) {
          warningsKept = step.warnings();
          reader.stopAt(e);
          return false;
        }
        stores.putIfAbsent(ref.store(), new Store(ref.store(), header.version()));
        chunks.add(new IndexedChunk(ref.store(), summary.id(), summary.entityPath(), summary.isStatic(), summary.rowCount(),
            summary.timeRanges(), summary.components(), ref.offset(), ref.length(), summary.sizes(), summary.componentRanges()));
        summary.contents().ifPresent(c -> contents.put(ref.offset(), c));
      }
      return true;
    }
  }

  /**
   * Reads the index saved at {@code indexFile} if it is current for {@code rrdFile}; otherwise (or if
   * it is missing or unreadable) builds the index and saves it there.
   */
  public static ChunkIndex loadOrBuild(Path rrdFile, Path indexFile, BufferAllocator allocator) throws IOException {
    if (Files.isRegularFile(indexFile)) {
      try {
        ChunkIndex saved = readFrom(indexFile, rrdFile, allocator);
        if (saved.isCurrent()) {
          return saved;
        }
      } catch (RrdFormatException e) {
        // An unreadable or outdated index file is rebuilt, never trusted.
      }
    }
    ChunkIndex built = build(rrdFile, allocator);
    built.writeTo(indexFile);
    return built;
  }

  /** Saves this index to {@code indexFile} (written to a temporary file, then moved into place). */
  public void writeTo(Path indexFile) throws IOException {
    ChunkIndexFormat.write(this, indexFile);
  }

  /**
   * Reads an index saved by {@link #writeTo}, as the index of {@code rrdFile}, exactly as saved: one
   * saved in an older format lacks what that format did not keep (see {@link #readFrom(Path, Path, BufferAllocator)}).
   */
  public static ChunkIndex readFrom(Path indexFile, Path rrdFile) throws IOException {
    return ChunkIndexFormat.read(indexFile, rrdFile).asSaved();
  }

  /**
   * Reads an index saved by {@link #writeTo}, as the index of {@code rrdFile}; one saved from the
   * file's footer in an older format is read again from the footer, {@code allocator} holding the
   * footer's manifest meanwhile (nothing stays allocated).
   */
  public static ChunkIndex readFrom(Path indexFile, Path rrdFile, BufferAllocator allocator) throws IOException {
    return ChunkIndexFormat.read(indexFile, rrdFile).current(requireNonNull(allocator, "allocator is null"));
  }

  /** This index as bytes (the index-file form), e.g. to keep it in a database. */
  public byte[] toBytes() {
    return ChunkIndexFormat.encode(this);
  }

  /**
   * Whether {@link #toFooterReference()} may stand for this index: it was read from the footer of a
   * local file (one whose size and time {@link #isCurrent} can check), without damage.
   */
  public boolean canReferToFooter() {
    return source == Source.FOOTER && damage == null && lastModifiedMillis != 0;
  }

  /**
   * This index in its short form: the file, its size and time, its stores; not its chunks, which
   * are read again from the footer when the bytes are read back ({@link #fromBytes(byte[], String,
   * BufferAllocator)}). A few hundred bytes instead of ~100 per chunk, and no per-chunk encoding:
   * what registration stores, so it finishes in milliseconds. Only if {@link #canReferToFooter()}.
   */
  public byte[] toFooterReference() {
    if (!canReferToFooter()) {
      throw new IllegalStateException("only a local file's footer index can refer to its footer: " + this);
    }
    return ChunkIndexFormat.encodeFooterReference(this);
  }

  /** Reads bytes made by {@link #toBytes()}, as the index of {@code rrdFile}, exactly as saved. */
  public static ChunkIndex fromBytes(byte[] bytes, Path rrdFile) throws RrdFormatException {
    return fromBytes(bytes, rrdFile.toString());
  }

  /** As {@link #fromBytes(byte[], Path)}, for a recording named {@code name} (a path or an object's URI). */
  public static ChunkIndex fromBytes(byte[] bytes, String name) throws RrdFormatException {
    return ChunkIndexFormat.decode(bytes, name + ".index", name).asSaved();
  }

  /**
   * As {@link #fromBytes(byte[], String)}; bytes saved from the file's footer in an older format are
   * read again from the footer, as {@link #readFrom(Path, Path, BufferAllocator)} does.
   */
  public static ChunkIndex fromBytes(byte[] bytes, String name, BufferAllocator allocator) throws RrdFormatException {
    return ChunkIndexFormat.decode(bytes, name + ".index", name).current(requireNonNull(allocator, "allocator is null"));
  }

  /** The part of this index about one store: its chunks only (e.g. one recording of a file holding two). */
  public ChunkIndex forStore(StoreId store) {
    List<Store> kept = stores.stream().filter(s -> s.id().equals(store)).toList();
    if (kept.isEmpty()) {
      throw new IllegalArgumentException("no store " + store + " in " + file);
    }
    return new ChunkIndex(file, fileSize, lastModifiedMillis, source, streams, kept, chunksOf(store), damage, warnings,
        footerSchema(store).map(schema -> Map.of(store, schema)).orElse(Map.of()));
  }

  /**
   * This index (read back from an older saved form) made again from the file's footer, restricted to
   * the same stores, so that it has what the footer tells and the old form did not keep. This index
   * itself when the file changed since or its footer cannot be read: it is still right, only coarser.
   */
  ChunkIndex againFromFooter(BufferAllocator allocator) {
    try {
      if (!isCurrent()) {
        return this;
      }
      ChunkIndex fresh = build(Path.of(file), allocator); // saved forms older than object storage are local files
      if (fresh.source() != Source.FOOTER || fresh.fileSize() != fileSize || fresh.lastModifiedMillis() != lastModifiedMillis) {
        return this;
      }
      List<StoreId> kept = stores.stream().map(Store::id).toList();
      List<IndexedChunk> chunks = fresh.chunks().stream().filter(c -> kept.contains(c.store())).toList();
      if (chunks.size() != this.chunks.size()) {
        return this;
      }
      return new ChunkIndex(file, fileSize, lastModifiedMillis, source, streams, stores, chunks, damage, warnings);
    } catch (IOException | RuntimeException e) {
      return this; // the saved index stands; reading the footer again is only a refinement
    }
  }

  /**
   * This short form ({@link #toFooterReference()}) with its chunks, read from the file's footer and
   * restricted to its stores. Fails, naming the file, when the file changed since or its footer no
   * longer describes those stores: the short form has nothing else to offer.
   */
  ChunkIndex fromFooterReference(BufferAllocator allocator) throws RrdFormatException {
    ChunkIndex fresh;
    try {
      if (!isCurrent()) {
        throw new RrdFormatException(file, 0, "the file changed (or vanished) since it was registered; register it again");
      }
      fresh = build(Path.of(file), allocator); // the short form is only made for local files
    } catch (RrdFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new RrdFormatException(file, 0, "cannot read its footer for the chunk index (" + e.getMessage() + ")", e);
    }
    if (fresh.source() != Source.FOOTER || fresh.fileSize() != fileSize || fresh.lastModifiedMillis() != lastModifiedMillis) {
      throw new RrdFormatException(file, 0, "its footer no longer gives the chunk index it gave at registration; register it again");
    }
    List<StoreId> kept = stores.stream().map(Store::id).toList();
    Map<StoreId, Schema> schemas = new LinkedHashMap<>();
    for (StoreId id : kept) {
      if (fresh.stores().stream().noneMatch(s -> s.id().equals(id))) {
        throw new RrdFormatException(file, 0, "its footer no longer lists " + id + "; register it again");
      }
      fresh.footerSchema(id).ifPresent(schema -> schemas.put(id, schema));
    }
    List<IndexedChunk> chunks = fresh.chunks().stream().filter(c -> kept.contains(c.store())).toList();
    return new ChunkIndex(file, fileSize, lastModifiedMillis, source, streams, stores, chunks, null, warnings, schemas);
  }

  /** Whether the local .rrd file still has the size and modification time it had when indexed. */
  public boolean isCurrent() throws IOException {
    Path path = Path.of(file);
    return Files.isRegularFile(path) && Files.size(path) == fileSize && Files.getLastModifiedTime(path).toMillis() == lastModifiedMillis;
  }

  /** How messages name the recording: its path, or an object's URI. */
  public String file() {
    return file;
  }

  public long fileSize() {
    return fileSize;
  }

  long lastModifiedMillis() {
    return lastModifiedMillis;
  }

  public Source source() {
    return source;
  }

  /** The streams of the file, in file order: more than one when files were concatenated. */
  public List<RrdStream> streams() {
    return streams;
  }

  /** Every store, recordings and blueprints, in the order the file announced them. */
  public List<Store> stores() {
    return stores;
  }

  /** The recording stores only; blueprints are kept apart. */
  public List<Store> recordings() {
    return stores.stream().filter(s -> s.kind() == StoreKind.RECORDING).toList();
  }

  /** Every chunk, in file order. */
  public List<IndexedChunk> chunks() {
    return chunks;
  }

  /** The chunks of one store, in file order. */
  public List<IndexedChunk> chunksOf(StoreId store) {
    return chunks.stream().filter(c -> c.store().equals(store)).toList();
  }

  /**
   * The store's columns as its writer summed them up in the 0.28+ footer (Rerun's "sorbet" schema,
   * in dataframe naming: RowId, one index column per timeline, one list column per entity and
   * component, with {@code rerun:} metadata such as {@code is_static} and
   * {@code is_semantically_empty}), so they need not be worked out by decoding chunks. Empty for a
   * scanned file, a footer without one, and an index read back from its saved form (not kept there).
   */
  public Optional<Schema> footerSchema(StoreId store) {
    return Optional.ofNullable(footerSchemas.get(store));
  }

  /**
   * About how much heap this index takes, decoded: what a cache of indexes weighs it by. Counts the
   * objects held per chunk (64-bit JVM, compressed references); names, timelines and components are
   * shared by all chunks and left out.
   */
  public long estimatedHeapBytes() {
    long total = 256 + 8L * chunks.size();
    for (IndexedChunk c : chunks) {
      total += IndexedChunkWeight.of(c);
    }
    return total;
  }

  /** When built in salvage mode: where reading stopped. The chunks before it are all complete. */
  public Optional<RrdFormatException> damage() {
    return Optional.ofNullable(damage);
  }

  /** Things worth telling a user that did not stop indexing (a missing End, an unusable footer). */
  public List<String> warnings() {
    return warnings;
  }

  @Override
  public String toString() {
    return "ChunkIndex[" + file + ", " + source + ", " + stores.size() + " stores, " + chunks.size() + " chunks" + (damage == null ? "" : ", damaged") + "]";
  }
}
