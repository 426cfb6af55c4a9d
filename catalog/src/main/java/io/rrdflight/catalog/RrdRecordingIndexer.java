package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.ChunkIndex;
import io.rrdflight.rrd.FooterTotals;
import io.rrdflight.rrd.StoreTotals;
import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.LocalFile;
import io.rrdflight.rrd.Store;
import io.rrdflight.rrd.StoreKind;
import java.io.IOException;
import io.rrdflight.rrd.ReadMode;
import io.rrdflight.rrd.RrdFormatException;
import io.rrdflight.rrd.RecordingSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Indexes {@code .rrd} files with the rrd module's {@link ChunkIndex}: one pass over the file (or
 * its 0.28+ footer), keeping offsets and time ranges, never chunk data. Each store of the asked kind
 * becomes an {@link IndexedRecording} carrying the part of the index about that store.
 */
public final class RrdRecordingIndexer implements RecordingIndexer {
  /**
   * Local files up to this size are read whole, once, and indexed from memory ({@link LocalFile#held}):
   * a file of a few small chunks is otherwise some 27 small reads. Bounds the copy each worker holds.
   */
  static final int HELD_MAX_BYTES = 64 << 10;

  private final BufferAllocator allocator;

  public RrdRecordingIndexer(BufferAllocator allocator) {
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  @Override
  public List<IndexedRecording> index(RecordingSource source, StoreKind kind) throws IOException {
    RecordingSource recording = source instanceof LocalFile file ? file.held(HELD_MAX_BYTES) : source;
    try (BufferAllocator scratch = scratch(recording)) {
      Optional<List<IndexedRecording>> summed = fromFooter(recording, kind, scratch, false);
      if (summed.isPresent()) {
        return summed.get();
      }
      // The contents a schema needs of small chunks come with the scan, which has them decoded anyway.
      ChunkIndex.WithContents built = ChunkIndex.buildWithContents(recording, scratch, ReadMode.STRICT);
      ChunkIndex index = built.index();
      List<IndexedRecording> recordings = new ArrayList<>();
      for (Store store : index.stores()) {
        if (store.kind() != kind) {
          continue;
        }
        ChunkIndex own = index.forStore(store.id());
        long rows = own.chunks().stream().mapToLong(IndexedChunk::rowCount).sum();
        recordings.add(new IndexedRecording(store.recordingId(), store.applicationId(), own.chunks().size(), rows,
            PartitionSizeBytes.of(own.chunks()), stored(own), RecordingSchemaReader.read(own, recording, built.contents())));
      }
      return recordings;
    }
  }

  /**
   * A local file's stores from its footer's totals, exactly as {@link #index} gives them; empty when
   * {@link #index} would read more than the footer (no usable footer, a column left unsettled, an
   * object, whose whole index is built).
   */
  @Override
  public Optional<List<IndexedRecording>> indexFromFooter(RecordingSource recording, StoreKind kind) throws IOException {
    try (BufferAllocator scratch = scratch(recording)) {
      return fromFooter(recording, kind, scratch, true);
    }
  }

  private BufferAllocator scratch(RecordingSource recording) {
    return allocator.newChildAllocator("index " + recording.name(), 0, Long.MAX_VALUE);
  }

  /**
   * The stores from the recording's footer ({@link #fromFooter(FooterTotals, StoreKind, RecordingSource,
   * BufferAllocator)}); empty without a footer, or, with {@code referableOnly}, when the footer cannot
   * stand for the index (an object's, whose whole index would be built).
   */
  private static Optional<List<IndexedRecording>> fromFooter(RecordingSource recording, StoreKind kind, BufferAllocator scratch,
      boolean referableOnly) throws IOException {
    Optional<FooterTotals> footer = FooterTotals.read(recording, scratch);
    if (footer.isEmpty() || (referableOnly && !footer.get().canReferToFooter())) {
      return Optional.empty();
    }
    return fromFooter(footer.get(), kind, recording, scratch);
  }

  /**
   * The stores of a footer file from the footer's totals, without a chunk index; empty when the
   * footer's schema leaves a column unsettled (its type is then read from the chunks, which needs
   * the index). A local file stores the reference to its footer; an object the whole index, which
   * is built for that (from the footer, read again from the object's cached blocks).
   */
  private static Optional<List<IndexedRecording>> fromFooter(FooterTotals footer, StoreKind kind, RecordingSource recording,
      BufferAllocator scratch) throws IOException {
    List<IndexedRecording> recordings = new ArrayList<>();
    ChunkIndex whole = null;
    for (StoreTotals totals : footer.stores()) {
      Store store = totals.store();
      if (store.kind() != kind) {
        continue;
      }
      Optional<DatasetSchema> schema = RecordingSchemaReader.fromFooter(totals, footer.footerSchema(store.id()));
      if (schema.isEmpty()) {
        return Optional.empty();
      }
      byte[] stored;
      if (footer.canReferToFooter()) {
        stored = footer.footerReference(store.id());
      } else {
        whole = whole != null ? whole : ChunkIndex.build(recording, scratch, ReadMode.STRICT);
        stored = whole.forStore(store.id()).toBytes();
      }
      recordings.add(new IndexedRecording(store.recordingId(), store.applicationId(), totals.chunkCount(), totals.rowCount(),
          PartitionSizeBytes.of(totals), stored, schema.get()));
    }
    return Optional.of(recordings);
  }

  /**
   * What the catalog keeps of a store's index: for a local file indexed from its footer, the short
   * form that refers to the footer (the chunks are read from it again on the partition's first
   * query, once: the catalog caches decoded indexes), so registration neither encodes nor stores
   * hundreds of chunks; otherwise the whole index (a scan is too dear to repeat, and an object's
   * footer would cost a request).
   */
  private static byte[] stored(ChunkIndex own) {
    return own.canReferToFooter() ? own.toFooterReference() : own.toBytes();
  }

  /**
   * Reads back an index made here; one saved from a footer by an older version of the index format is
   * read again from the file's footer, under this indexer's allocator like everything it reads.
   */
  @Override
  public ChunkIndex chunkIndex(byte[] saved, String location) throws RrdFormatException {
    return ChunkIndex.fromBytes(saved, location, allocator);
  }

  @Override
  public BufferAllocator newWorkAllocator(String name, long limit) {
    return allocator.newChildAllocator(name, 0, limit);
  }
}
