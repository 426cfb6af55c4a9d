package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A 0.28+ file's footer summed up per store ({@link StoreTotals}): chunk and row counts, sizes,
 * timelines, columns, and the writer's schema, read from the manifests' columns without building
 * the chunk index. Registering a file needs no more than this, and the chunks themselves are read
 * from the footer again when the file is first queried ({@link #footerReference}); building an
 * object per chunk here was most of what registering footer files cost a fresh server.
 *
 * <p>The footer is read only when {@link ChunkIndex#build} would trust it, with the same checks, so
 * a file without such a footer (none, a checksum that does not match, a concatenated file, a
 * manifest that cannot be used) has no totals and is for {@link ChunkIndex#build} to index.
 */
public final class FooterTotals {
  /** What is read from the footer. */
  record Contents(RrdStream stream, List<Store> stores, List<StoreTotals> totals, Map<StoreId, Schema> schemas) {}

  private final String file;
  private final long fileSize;
  private final long lastModifiedMillis;
  private final Contents contents;
  private final List<String> notes;

  private FooterTotals(String file, long fileSize, long lastModifiedMillis, Contents contents, List<String> notes) {
    this.file = file;
    this.fileSize = fileSize;
    this.lastModifiedMillis = lastModifiedMillis;
    this.contents = contents;
    this.notes = List.copyOf(notes);
  }

  /**
   * The totals of the recording's footer, or empty when it has no footer that can be trusted for the
   * whole file. {@code allocator} holds a manifest while it is read; nothing stays allocated.
   */
  public static Optional<FooterTotals> read(RecordingSource source, BufferAllocator allocator) throws IOException {
    requireNonNull(source, "source is null");
    requireNonNull(allocator, "allocator is null");
    List<String> notes = new ArrayList<>();
    FileBytes bytes = FileBytes.over(source);
    long lastModified = ChunkIndex.lastModifiedMillis(source);
    return FooterIndex.totals(bytes, allocator, notes)
        .map(contents -> new FooterTotals(source.name(), bytes.size(), lastModified, contents, notes));
  }

  /** Every store the footer lists, recordings and blueprints, in its order. */
  public List<StoreTotals> stores() {
    return contents.totals();
  }

  /** The store's columns as the writer summed them up (see {@link ChunkIndex#footerSchema}); empty if it left them out. */
  public Optional<Schema> footerSchema(StoreId store) {
    return Optional.ofNullable(contents.schemas().get(store));
  }

  /** Whether {@link #footerReference} can stand for the store's index: a local file's footer, as {@link ChunkIndex#canReferToFooter}. */
  public boolean canReferToFooter() {
    return lastModifiedMillis != 0;
  }

  /**
   * The short form of the store's chunk index ({@link ChunkIndex#toFooterReference}), the same bytes
   * as the index {@link ChunkIndex#build} would give, restricted to the store ({@link ChunkIndex#forStore}).
   */
  public byte[] footerReference(StoreId store) {
    Store kept = contents.stores().stream().filter(s -> s.id().equals(store)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no store " + store + " in " + file));
    return new ChunkIndex(file, fileSize, lastModifiedMillis, ChunkIndex.Source.FOOTER, List.of(contents.stream()), List.of(kept),
        List.of(), null, notes).toFooterReference();
  }
}
