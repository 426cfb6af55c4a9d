package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Walks the frames of a file, across all of its streams. Knows the framing rules and nothing about
 * payloads: stream headers, message headers, End frames, the 0.28+ stream footer, concatenated
 * streams with or without End, and files whose writer stopped without End.
 *
 * <p>Rules, as Rerun's own decoder applies them, and where we are stricter:
 * <ul>
 *   <li>Bytes at offset 0 that are not a valid stream header are fatal.
 *   <li>Where a message header is expected, bytes starting with {@code RRF2} open a new stream (Rerun
 *       writers that crashed leave no End frame before the next concatenated stream).
 *   <li>Any other unknown kind inside a stream is an error. Rerun silently stops there; we refuse,
 *       because everything after it would be lost without a word.
 *   <li>After an End frame: end of file, a new stream header, or a stream footer. An End that carries
 *       an RrdFooter (0.28+) must be followed by its stream footer.
 *   <li>Other bytes after a complete stream are ignored with a warning, as Rerun does: the recording
 *       itself is whole.
 * </ul>
 */
final class FrameScanner {
  private static final byte[] FOOTER_MAGIC = "RRF2FOOT".getBytes(StandardCharsets.US_ASCII);
  private static final int FOOTER_TAIL_SIZE = 12;
  private static final int FOOTER_ENTRY_SIZE = 20;

  private enum State { STREAM_HEADER, MESSAGE_HEADER, AFTER_END, FOOTER_REQUIRED, AFTER_FOOTER, DONE }

  private final FileBytes bytes;
  private final List<String> warnings;
  private State state = State.STREAM_HEADER;
  private long position;
  private StreamHeader stream;

  FrameScanner(FileBytes bytes, List<String> warnings) {
    this.bytes = requireNonNull(bytes, "bytes is null");
    this.warnings = requireNonNull(warnings, "warnings is null");
  }

  /** Where the next frame or stream header would start. */
  long position() {
    return position;
  }

  /** The next frame, or {@code null} at the end of the file. */
  Frame next() throws IOException {
    while (true) {
      switch (state) {
        case STREAM_HEADER -> {
          stream = readStreamHeader();
          position += StreamHeader.SIZE;
          state = State.MESSAGE_HEADER;
        }
        case MESSAGE_HEADER -> {
          long remaining = bytes.size() - position;
          if (remaining == 0) {
            warnings.add("the stream starting at byte " + stream.offset() + " has no End frame: its writer may have stopped early");
            state = State.DONE;
            return null;
          }
          if (startsWithMagic(position)) {
            // A concatenated stream that follows one without End.
            state = State.STREAM_HEADER;
            continue;
          }
          return readFrame();
        }
        case AFTER_END, FOOTER_REQUIRED -> afterEnd();
        case AFTER_FOOTER -> {
          if (bytes.size() == position) {
            state = State.DONE;
          } else if (startsWithMagic(position)) {
            state = State.STREAM_HEADER;
          } else {
            ignoreTrailingBytes();
          }
        }
        case DONE -> {
          return null;
        }
      }
    }
  }

  private StreamHeader readStreamHeader() throws IOException {
    if (position == 0 && bytes.size() == 0) {
      throw new RrdFormatException(bytes.file(), 0, "file is empty; expected an .rrd stream header (RRF2)");
    }
    // Enough bytes to recognise what a foreign file is (an LFS pointer starts with "version https").
    ByteBuffer start = bytes.peek(position, 32);
    if (!isMagicPrefix(start)) {
      throw new RrdFormatException(bytes.file(), position, StreamHeader.describeForeignStart(start, 0));
    }
    return StreamHeader.parse(bytes.file(), position, bytes.read(position, StreamHeader.SIZE, "stream header"));
  }

  private Frame readFrame() throws IOException {
    ByteBuffer header = bytes.read(position, Frame.HEADER_SIZE, "message header");
    long code = header.getLong(0);
    long length = header.getLong(8);
    MessageKind kind = MessageKind.fromCode(code).orElseThrow(() -> new RrdFormatException(bytes.file(), position,
        "unknown message kind " + Long.toUnsignedString(code) + " (header bytes " + StreamHeader.hex(header, 0, 16)
            + "); expected a message header of kind 0 to 3 or a new stream header"));
    long payloadOffset = position + Frame.HEADER_SIZE;
    long available = bytes.size() - payloadOffset;
    if (Long.compareUnsigned(length, available) > 0) {
      throw new RrdFormatException(bytes.file(), position,
          "file is truncated: the " + kind + " message claims " + Long.toUnsignedString(length) + " payload bytes but only "
              + available + " bytes follow its header; expected the file to continue to byte " + (payloadOffset + length));
    }
    Frame frame = new Frame(kind, position, payloadOffset, length, stream);
    position = frame.end();
    if (kind == MessageKind.END) {
      // A non-empty End carries an RrdFooter (0.28+), which is always followed by a stream footer.
      state = length > 0 ? State.FOOTER_REQUIRED : State.AFTER_END;
    }
    return frame;
  }

  private void afterEnd() throws IOException {
    long remaining = bytes.size() - position;
    boolean footerRequired = state == State.FOOTER_REQUIRED;
    if (remaining == 0) {
      if (footerRequired) {
        throw new RrdFormatException(bytes.file(), position,
            "file is truncated: expected the stream footer (ending in RRF2FOOT) that follows an End frame with an RrdFooter");
      }
      state = State.DONE;
      return;
    }
    ByteBuffer tail = bytes.peek(position, FOOTER_ENTRY_SIZE + FOOTER_TAIL_SIZE);
    if (matches(tail, 0, FOOTER_MAGIC) && tail.remaining() >= FOOTER_TAIL_SIZE && tail.getInt(8) == 0) {
      position += FOOTER_TAIL_SIZE; // a stream footer without entries
      state = State.AFTER_FOOTER;
    } else if (isMagicPrefix(tail) && !matches(tail, 0, FOOTER_MAGIC)) {
      state = State.STREAM_HEADER;
    } else if (tail.remaining() == FOOTER_ENTRY_SIZE + FOOTER_TAIL_SIZE && matches(tail, FOOTER_ENTRY_SIZE, FOOTER_MAGIC)
        && tail.getInt(FOOTER_ENTRY_SIZE + 8) == 1) {
      // Writers always emit exactly one entry. Its offsets are stream-relative and only matter to the
      // footer fast path (FooterIndex), which checks them; a scan just steps over the footer.
      position += FOOTER_ENTRY_SIZE + FOOTER_TAIL_SIZE;
      state = State.AFTER_FOOTER;
    } else if (footerRequired) {
      throw new RrdFormatException(bytes.file(), position,
          "expected the 32-byte stream footer (ending in RRF2FOOT) after an End frame with an RrdFooter, found " + StreamHeader.hex(tail, 0, Math.min(tail.remaining(), 8)) + " ...");
    } else {
      ignoreTrailingBytes();
    }
  }

  private void ignoreTrailingBytes() {
    warnings.add("ignored " + (bytes.size() - position) + " bytes from byte " + position + " to the end of the file: they follow a complete stream but are not a new stream");
    state = State.DONE;
  }

  private boolean startsWithMagic(long at) throws IOException {
    return isMagicPrefix(bytes.peek(at, StreamHeader.FOURCC.length));
  }

  /** Whether the buffer starts with RRF2, or with the start of it when fewer than 4 bytes are left. */
  private static boolean isMagicPrefix(ByteBuffer b) {
    int n = Math.min(b.remaining(), StreamHeader.FOURCC.length);
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (b.get(b.position() + i) != StreamHeader.FOURCC[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean matches(ByteBuffer b, int at, byte[] expected) {
    if (b.remaining() < at + expected.length) {
      return false;
    }
    for (int i = 0; i < expected.length; i++) {
      if (b.get(b.position() + at + i) != expected[i]) {
        return false;
      }
    }
    return true;
  }
}
