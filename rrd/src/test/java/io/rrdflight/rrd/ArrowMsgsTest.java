package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.rrdflight.rrd.proto.ArrowMsg;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ArrowMsgsTest {
  @Test
  void aParsedMessageKeepsItsPayloadInTheBytesReadInsteadOfACopy() throws Exception {
    byte[] payload = {1, 2, 3, 4, 5, 6, 7, 8};
    byte[] stored = ArrowMsg.newBuilder().setUncompressedSize(8).setPayload(ByteString.copyFrom(payload)).build().toByteArray();
    // As a reader has it: the message somewhere inside a larger heap buffer.
    ByteBuffer read = ByteBuffer.allocate(stored.length + 10);
    read.position(5);
    read.put(stored);
    read.flip().position(5);

    ArrowMsg msg = ArrowMsgs.parseKeepingPayload(read);
    assertEquals(ByteString.copyFrom(payload), msg.getPayload());
    assertEquals(8, msg.getUncompressedSize());

    // The payload is a view of the buffer: changing the buffer's byte shows through.
    int at = 5 + stored.length - payload.length;
    read.array()[at] = 42;
    assertEquals(42, msg.getPayload().byteAt(0));
  }
}
