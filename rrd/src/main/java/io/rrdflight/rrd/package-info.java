/**
 * Reads Rerun {@code .rrd} files: the framing of their streams, the protobuf messages inside, and the
 * chunks those carry as Arrow record batches; indexes each file's chunks so that queries can pick them
 * without decoding them.
 *
 * <p>Start with {@link io.rrdflight.rrd.ChunkIndex} (what a file holds and where) and
 * {@link io.rrdflight.rrd.RrdReader#readChunk(java.nio.file.Path, long, long,
 * org.apache.arrow.memory.BufferAllocator)} (one chunk by its offset). {@link io.rrdflight.rrd.RrdReader}
 * also streams a file message by message. Bad bytes always surface as a
 * {@link io.rrdflight.rrd.RrdFormatException} naming the file and offset.
 *
 * <p>This package knows nothing of datasets, SQL or Flight; see the module README.
 */
package io.rrdflight.rrd;
