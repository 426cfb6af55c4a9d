package io.rrdflight.rrd;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.rrdflight.rrd.proto.Tuid;
import java.io.IOException;
import java.util.Optional;

/**
 * The fields of an ArrowMsg except its payload, which is only located. Parsed straight from the
 * file so that a scan never reads chunk data it does not need: the payload (field 5) sits between
 * the small fields 1-4 and 6-7 and is skipped by its length.
 *
 * @param storeId as written; legacy writers leave its application id empty
 * @param lz4 whether the payload is an LZ4 block
 * @param uncompressedSize the size of the Arrow IPC stream once decompressed
 * @param dataOffset where the Arrow IPC bytes (compressed or not) start in the file
 * @param dataLength how many bytes they take
 * @param chunkId field 6, written since Rerun 0.24
 * @param isStatic field 7, written since Rerun 0.25
 */
record ArrowMsgHeader(
    StoreId storeId,
    boolean lz4,
    long uncompressedSize,
    long dataOffset,
    long dataLength,
    Optional<ChunkId> chunkId,
    Optional<Boolean> isStatic) {

  private static final int STORE_ID = 1;
  private static final int COMPRESSION = 2;
  private static final int UNCOMPRESSED_SIZE = 3;
  private static final int ENCODING = 4;
  private static final int PAYLOAD = 5;
  private static final int CHUNK_ID = 6;
  private static final int IS_STATIC = 7;

  private static final int COMPRESSION_LZ4 = 2;
  private static final int ENCODING_ARROW_IPC = 1;

  /** Parses the ArrowMsg whose protobuf bytes are {@code length} bytes at {@code offset}. */
  static ArrowMsgHeader read(FileBytes bytes, long offset, long length) throws IOException {
    bytes.checkAvailable(offset, length, "ArrowMsg");
    FileRegion region = new FileRegion(bytes, offset, length);
    CodedInputStream in = CodedInputStream.newInstance(region, 256);
    io.rrdflight.rrd.proto.StoreId storeId = io.rrdflight.rrd.proto.StoreId.getDefaultInstance();
    int compression = 0;
    long uncompressedSize = 0;
    int encoding = 0;
    long dataOffset = -1;
    long dataLength = 0;
    Optional<ChunkId> chunkId = Optional.empty();
    Optional<Boolean> isStatic = Optional.empty();
    try {
      int tag;
      while ((tag = in.readTag()) != 0) {
        switch (WireFormat.getTagFieldNumber(tag)) {
          case STORE_ID -> storeId = io.rrdflight.rrd.proto.StoreId.parseFrom(in.readBytes());
          case COMPRESSION -> compression = in.readEnum();
          case UNCOMPRESSED_SIZE -> uncompressedSize = in.readUInt64();
          case ENCODING -> encoding = in.readEnum();
          case PAYLOAD -> {
            expectLengthDelimited(tag);
            dataLength = in.readRawVarint32() & 0xFFFFFFFFL;
            dataOffset = offset + in.getTotalBytesRead();
            if (dataLength > offset + length - dataOffset) {
              throw new InvalidProtocolBufferException("the payload runs past the end of the message");
            }
            in.skipRawBytes((int) dataLength);
          }
          case CHUNK_ID -> {
            Tuid tuid = Tuid.parseFrom(in.readBytes());
            chunkId = Optional.of(new ChunkId(tuid.getTimeNs(), tuid.getInc()));
          }
          case IS_STATIC -> isStatic = Optional.of(in.readBool());
          default -> in.skipField(tag);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new RrdFormatException(bytes.file(), offset, "corrupt ArrowMsg protobuf (" + e.getMessage() + ")", e);
    }
    if (encoding != ENCODING_ARROW_IPC) {
      throw new RrdFormatException(bytes.file(), offset, "ArrowMsg has encoding " + encoding + "; expected 1 (Arrow IPC)");
    }
    if (compression < 0 || compression > COMPRESSION_LZ4) {
      throw new RrdFormatException(bytes.file(), offset, "ArrowMsg has unknown compression " + compression + "; expected 0, 1 (none) or 2 (LZ4)");
    }
    if (dataOffset < 0) {
      throw new RrdFormatException(bytes.file(), offset, "ArrowMsg has no payload (field 5)");
    }
    return new ArrowMsgHeader(StoreId.fromProto(storeId), compression == COMPRESSION_LZ4, uncompressedSize, dataOffset, dataLength, chunkId, isStatic);
  }

  private static void expectLengthDelimited(int tag) throws InvalidProtocolBufferException {
    if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      throw new InvalidProtocolBufferException("the payload field has wire type " + WireFormat.getTagWireType(tag) + "; expected length-delimited");
    }
  }
}
