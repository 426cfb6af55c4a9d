package io.rrdflight.rrd;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes protobuf's wire format straight into a growing array, for the one message registration
 * encodes per file ({@link ChunkIndexFormat#encode}): the generated builders (a builder per entry,
 * per range and per component, each copied into its message) were a fifth of indexing a small file,
 * run cold, as a thousand small files are. Fields are written in the order the caller gives, which is
 * field-number order, as the generated code writes them; proto3 defaults are left out as it does,
 * except where the caller writes a field with presence ({@code optional}) explicitly.
 */
final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;

  private byte[] bytes = new byte[256];
  private int size;

  /** Forgets what was written, keeping the array. */
  ProtoWriter clear() {
    size = 0;
    return this;
  }

  int size() {
    return size;
  }

  /** A copy of what was written. */
  byte[] toByteArray() {
    return Arrays.copyOf(bytes, size);
  }

  /** An unsigned varint field (uint32, uint64, int64, bool, enum), left out when 0. */
  ProtoWriter uint(int field, long value) {
    if (value != 0) {
      always(field, value);
    }
    return this;
  }

  /** A varint field written even when 0: a field with presence. */
  ProtoWriter always(int field, long value) {
    tag(field, VARINT);
    varint(value);
    return this;
  }

  /** An int32 field: a negative value takes ten bytes, sign-extended, as protobuf writes it. */
  ProtoWriter int32(int field, int value) {
    return uint(field, value);
  }

  ProtoWriter bool(int field, boolean value) {
    return uint(field, value ? 1 : 0);
  }

  /** A sint64 field (ZigZag), left out when 0. */
  ProtoWriter sint64(int field, long value) {
    return uint(field, (value << 1) ^ (value >> 63));
  }

  /** A fixed64 field, left out when 0. */
  ProtoWriter fixed64(int field, long value) {
    if (value != 0) {
      tag(field, FIXED64);
      ensure(Long.BYTES);
      for (int i = 0; i < Long.BYTES; i++) {
        bytes[size++] = (byte) (value >>> (8 * i));
      }
    }
    return this;
  }

  /** A string field, left out when empty (see {@link #stringAlways}). */
  ProtoWriter string(int field, String value) {
    return value.isEmpty() ? this : stringAlways(field, value);
  }

  /** A string field written even when empty: an element of a repeated field, or one with presence. */
  ProtoWriter stringAlways(int field, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    return lengthDelimited(field, utf8, utf8.length);
  }

  /** A message field (or an element of a repeated one) whose encoding {@code message} holds; written even when empty. */
  ProtoWriter message(int field, ProtoWriter message) {
    return lengthDelimited(field, message.bytes, message.size);
  }

  /** A message field from its encoded bytes. */
  ProtoWriter message(int field, byte[] encoded) {
    return lengthDelimited(field, encoded, encoded.length);
  }

  /** A packed repeated uint32 field of {@code values[0, count)}, left out when there are none. */
  ProtoWriter packed(int field, int[] values, int count) {
    if (count == 0) {
      return this;
    }
    int length = 0;
    for (int i = 0; i < count; i++) {
      length += varintSize(values[i] & 0xFFFFFFFFL);
    }
    tag(field, LENGTH_DELIMITED);
    varint(length);
    for (int i = 0; i < count; i++) {
      varint(values[i] & 0xFFFFFFFFL);
    }
    return this;
  }

  /** What {@code fields} holds, as it is: fields it has already written whole. */
  ProtoWriter append(ProtoWriter fields) {
    ensure(fields.size);
    System.arraycopy(fields.bytes, 0, bytes, size, fields.size);
    size += fields.size;
    return this;
  }

  /** A length-delimited field of the first {@code length} bytes of {@code source}. */
  private ProtoWriter lengthDelimited(int field, byte[] source, int length) {
    tag(field, LENGTH_DELIMITED);
    varint(length);
    ensure(length);
    System.arraycopy(source, 0, bytes, size, length);
    size += length;
    return this;
  }

  private void tag(int field, int wireType) {
    varint((long) field << 3 | wireType);
  }

  private void varint(long value) {
    ensure(10);
    while ((value & ~0x7FL) != 0) {
      bytes[size++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    bytes[size++] = (byte) value;
  }

  private static int varintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  private void ensure(int more) {
    if (bytes.length - size < more) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
    }
  }
}
