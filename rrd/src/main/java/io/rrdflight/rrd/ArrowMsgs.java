package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.rrdflight.rrd.proto.ArrowMsg;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Parsing a whole ArrowMsg (a chunk as the file stores it) from bytes just read. */
public final class ArrowMsgs {
  private ArrowMsgs() {}

  /**
   * Parses the message in {@code bytes} (a heap buffer, position to limit) keeping its payload in
   * those bytes instead of copying it: a chunk's payload is most of its message. The caller hands the
   * buffer over and never changes it afterwards. (protobuf aliases only bytes it is told are
   * immutable: {@code CodedInputStream.newInstance(ByteBuffer)} plus {@code enableAliasing} still
   * copies.)
   */
  public static ArrowMsg parseKeepingPayload(ByteBuffer bytes) throws IOException {
    requireNonNull(bytes, "bytes is null");
    if (!bytes.hasArray()) {
      throw new IllegalArgumentException("bytes must be a heap buffer");
    }
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining())
        .newCodedInput();
    in.enableAliasing(true);
    return ArrowMsg.parseFrom(in);
  }
}
