package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** One message of an .rrd file, as {@link RrdReader#next()} yields it. Each knows its frame. */
public sealed interface RrdMessage {

  /** Where the message lies in the file, and the stream it belongs to. */
  Frame frame();

  /** A SetStoreInfo: a store is announced (again; the last announcement wins). */
  record StoreInfo(Store store, Frame frame) implements RrdMessage {
    public StoreInfo {
      requireNonNull(store, "store is null");
      requireNonNull(frame, "frame is null");
    }
  }

  /**
   * An ArrowMsg, located but not decoded. Decode it with {@link RrdReader#readChunk(long, long,
   * org.apache.arrow.memory.BufferAllocator)} using {@link #offset()} and {@link #length()}.
   *
   * @param store the store, with the application id filled in for legacy writers
   * @param id the chunk id, when the writer put it in the message (Rerun 0.24+)
   * @param isStatic whether the chunk is static, when the writer said so (Rerun 0.25+)
   */
  record ChunkRef(StoreId store, Optional<ChunkId> id, Optional<Boolean> isStatic, Frame frame) implements RrdMessage {
    public ChunkRef {
      requireNonNull(store, "store is null");
      requireNonNull(id, "id is null");
      requireNonNull(isStatic, "isStatic is null");
      requireNonNull(frame, "frame is null");
    }

    /** Where the ArrowMsg protobuf starts: just after its message header. */
    public long offset() {
      return frame.payloadOffset();
    }

    /** The ArrowMsg protobuf's length. */
    public long length() {
      return frame.payloadLength();
    }
  }

  /** A BlueprintActivationCommand: asks a viewer to show a blueprint. */
  record BlueprintActivation(StoreId blueprint, boolean makeActive, boolean makeDefault, Frame frame) implements RrdMessage {
    public BlueprintActivation {
      requireNonNull(blueprint, "blueprint is null");
      requireNonNull(frame, "frame is null");
    }
  }

  /** An End frame: a stream is complete. From Rerun 0.28 its payload is the stream's RrdFooter. */
  record StreamEnd(Frame frame) implements RrdMessage {
    public StreamEnd {
      requireNonNull(frame, "frame is null");
    }

    public boolean hasFooter() {
      return frame.payloadLength() > 0;
    }
  }
}
