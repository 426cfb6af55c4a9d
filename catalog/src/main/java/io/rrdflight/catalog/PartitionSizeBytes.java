package io.rrdflight.catalog;

import io.rrdflight.rrd.IndexedChunk;
import io.rrdflight.rrd.StoreTotals;
import java.util.Collection;

/**
 * A partition's {@code rerun_size_bytes} as Rerun's server counts it: the in-memory size of the
 * chunks it holds, worked out at registration from the chunk index alone.
 *
 * <p>Rerun 0.27.3 sums, over the chunks in its store, each chunk's heap size plus the chunk object
 * it points to (224 bytes; Rerun counts an {@code Arc<Chunk>} as its target's whole size). A chunk
 * whose writer declared its heap size ({@code rerun:heap_size_bytes}, Rerun 0.23 to about 0.30)
 * counts that number, exactly as Rerun's reader adopts it. Rerun's store drops chunks without a
 * component column (0.23's indicator-only chunks once migrated); chunks without a non-null
 * component count nothing here.
 *
 * <p>Where this cannot equal Rerun: (1) Rerun merges small temporal chunks of an entity as it
 * loads them (compaction), and a merged chunk is measured afresh; which chunks merge depends on
 * hash-map order, so Rerun's own total varies from one start to the next by a few bytes, while
 * here the file's chunks count as written. (2) A chunk without a declared size (Rerun 0.31 and
 * later, and every chunk of a file indexed from its 0.28+ footer) counts its decompressed IPC
 * length, the size of its buffers plus schema; Rerun 0.27.3 measures such chunks by Arrow buffer
 * capacities, which count a message body shared by several buffers once per buffer (a 15 kB
 * recording by 0.41 shows as 101 kB there). (3) A static chunk overwritten by later static chunks
 * of the same entity and components is dropped by Rerun and still counted here.
 */
public final class PartitionSizeBytes {
  /** What Rerun adds per chunk for the chunk object itself ({@code size_of::<Chunk>()} in 0.27.3). */
  static final long CHUNK_OBJECT_BYTES = 224;

  private PartitionSizeBytes() {}

  public static long of(Collection<IndexedChunk> chunks) {
    long total = 0;
    for (IndexedChunk c : chunks) {
      total += of(c);
    }
    return total;
  }

  /**
   * The same sum for a store of a footer file, from its totals: footers declare no heap size, so
   * each chunk with a component counts its IPC length.
   */
  public static long of(StoreTotals totals) {
    return totals.componentChunkIpcBytes() + totals.componentChunks() * CHUNK_OBJECT_BYTES;
  }

  /** One chunk's share; zero for a chunk Rerun's store would drop. */
  public static long of(IndexedChunk chunk) {
    if (chunk.components().isEmpty()) {
      return 0;
    }
    return chunk.sizes().declaredHeapBytes().orElse(chunk.sizes().ipcBytes()) + CHUNK_OBJECT_BYTES;
  }
}
