package io.rrdflight.rrd;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The bytes of one recording, read by position: a local file ({@link LocalFile}) or an object in
 * S3-compatible storage ({@code io.rrdflight.rrd.s3.S3Object}). Everything that reads a recording
 * reads through this, so a reader never knows where the bytes live.
 *
 * <p>A source is opened once and describes the recording as it was then: {@link #size()} and
 * {@link #version()} do not change while it is open. Positional reads may run on several threads
 * at once.
 */
public interface RecordingSource extends Closeable {
  /** How messages name the recording: a path, or {@code s3://bucket/key}. Never its content. */
  String name();

  /** The size in bytes when opened. */
  long size();

  /**
   * What changes when the content does, as seen when opened: the modification time (nanoseconds)
   * of a file, the ETag of an object. Equal versions and sizes mean "unchanged".
   */
  String version();

  /**
   * Fills {@code target} from its position to its limit with the bytes at {@code position}. Fails
   * with an {@link RrdFormatException} when the recording ends first (it changed while read), and
   * with a plain {@link IOException} when storage fails.
   */
  void readFully(long position, ByteBuffer target) throws IOException;

  /**
   * A hint that the spans ({@code [offset, length]} pairs, in the order they will be read) are
   * about to be read: remote storage may start fetching them, in parallel, before they are asked
   * for. Local files ignore it.
   */
  default void prefetch(List<long[]> spans) {}
}
