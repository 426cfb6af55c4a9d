package io.rrdflight.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Arrow IPC metadata is read within its message, whatever the buffer it sits in holds after it. */
class IpcStreamTest {
  private static final String NAME = "column_name_to_damage";

  /** A schema stream whose one field name claims {@code extra} bytes more than it has. */
  private static byte[] schemaWithLongerName(int extra) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)),
        new Schema(List.of(Field.nullable(NAME, new ArrowType.Int(64, true)))));
    byte[] stream = out.toByteArray();
    byte[] name = NAME.getBytes(StandardCharsets.UTF_8);
    int at = -1;
    for (int i = 0; i + name.length <= stream.length && at < 0; i++) {
      if (Arrays.equals(stream, i, i + name.length, name, 0, name.length)) {
        at = i;
      }
    }
    assertTrue(at >= 4, "the name is in the message");
    ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).putInt(at - 4, name.length + extra);
    return stream;
  }

  /** The stream, in an array whose bytes after it are {@code after}: as in a reused decompression buffer. */
  private static String errorWithBytesAfter(byte[] stream, byte after) {
    byte[] array = Arrays.copyOf(stream, stream.length + 4096);
    Arrays.fill(array, stream.length, array.length, after);
    ByteBuffer data = ByteBuffer.wrap(array, 0, stream.length);
    return assertThrows(RrdFormatException.class, () -> IpcStream.parseSchema(data, "f.rrd", 100, "a chunk")).getMessage();
  }

  @Test
  void aStringRunningPastItsMessageFailsTheSameWhateverFollowsIt() throws IOException {
    for (int extra : new int[] {8, 200, 4000, 1 << 20}) {
      byte[] stream = schemaWithLongerName(extra);
      String overLetters = errorWithBytesAfter(stream, (byte) 'a');
      String overInvalidUtf8 = errorWithBytesAfter(stream, (byte) 0xFF);
      assertEquals(overLetters, overInvalidUtf8, "extra " + extra);
      assertTrue(overLetters.startsWith("f.rrd at byte 100: "), overLetters);
    }
  }
}
