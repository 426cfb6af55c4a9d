package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

/**
 * One framed message: a 16-byte message header (kind and payload length, little-endian u64 each)
 * followed by the payload.
 *
 * @param kind what the payload holds
 * @param offset where the message header starts
 * @param payloadOffset where the payload starts ({@code offset + 16})
 * @param payloadLength the payload's length in bytes; never runs past the end of the file
 * @param stream the header of the stream this frame belongs to
 */
public record Frame(MessageKind kind, long offset, long payloadOffset, long payloadLength, StreamHeader stream) {
  public static final int HEADER_SIZE = 16;

  public Frame {
    requireNonNull(kind, "kind is null");
    requireNonNull(stream, "stream is null");
  }

  /** The offset just past the payload. */
  public long end() {
    return payloadOffset + payloadLength;
  }
}
