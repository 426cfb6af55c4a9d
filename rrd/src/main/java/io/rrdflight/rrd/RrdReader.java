package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rrdflight.rrd.proto.BlueprintActivationCommand;
import io.rrdflight.rrd.proto.SetStoreInfo;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Reads an .rrd file front to back, one message at a time, without loading it into memory: chunk
 * payloads are located and skipped, and decoded only when asked for.
 *
 * <p>Handles several concatenated streams, with or without End frames, the 0.28+ footer, and legacy
 * writers whose chunks name their store without its application id (that id is then taken from the
 * store's SetStoreInfo, as Rerun does; a chunk that arrives before it is dropped with a warning).
 *
 * <p>Not thread-safe: open one reader per thread.
 */
public final class RrdReader implements Closeable {
  private final FileBytes bytes;
  private final ReadMode mode;
  private final List<String> warnings = new ArrayList<>();
  private final FrameScanner scanner;
  private final ChunkDecoder decoder = new ChunkDecoder();
  /** Application ids of legacy stores, by (kind, recording id), from their SetStoreInfo. */
  private final Map<StoreId, String> legacyApplicationIds = new HashMap<>();
  private RrdFormatException damage;
  private boolean finished;
  /** The ArrowMsg just yielded, so that summarizing it right away does not parse it again. */
  private ArrowMsgHeader lastArrowMsg;
  private long lastArrowMsgOffset = -1;

  private RrdReader(FileBytes bytes, ReadMode mode) {
    this.bytes = bytes;
    this.mode = requireNonNull(mode, "mode is null");
    this.scanner = new FrameScanner(bytes, warnings);
  }

  /** Opens {@code file} for strict reading. */
  public static RrdReader open(Path file) throws IOException {
    return open(file, ReadMode.STRICT);
  }

  public static RrdReader open(Path file, ReadMode mode) throws IOException {
    return new RrdReader(FileBytes.open(file), mode);
  }

  /** Reads {@code source}, which stays the caller's to close (closing the reader leaves it open). */
  public static RrdReader open(RecordingSource source, ReadMode mode) {
    return new RrdReader(FileBytes.over(source), mode);
  }

  /**
   * The stores of a recording with a verified 0.28+ footer, read from the footer alone (a few
   * kilobytes at the end, whatever the size); empty for others, which must be read to know.
   */
  public static Optional<List<StoreId>> storesFromFooter(RecordingSource source) throws IOException {
    return FooterIndex.stores(FileBytes.over(source));
  }

  /**
   * Opens {@code file}, decodes the chunk whose ArrowMsg lies at {@code offset} with {@code length}
   * bytes, and closes the file. Nothing else in the file is read. The offset and length are those of
   * {@link RrdMessage.ChunkRef} and of {@link IndexedChunk}.
   */
  public static Chunk readChunk(Path file, long offset, long length, BufferAllocator allocator) throws IOException {
    try (RrdReader reader = open(file)) {
      return reader.readChunk(offset, length, allocator);
    }
  }

  /** As {@link #readChunk(Path, long, long, BufferAllocator)}, from an open source the caller keeps. */
  public static Chunk readChunk(RecordingSource source, long offset, long length, BufferAllocator allocator) throws IOException {
    requireNonNull(allocator, "allocator is null");
    FileBytes bytes = FileBytes.over(source);
    return new ChunkDecoder().decode(bytes, ArrowMsgHeader.read(bytes, offset, length), allocator);
  }

  /**
   * What the component columns of the chunk at {@code offset} hold (their written fields, whether a
   * cell is non-empty), checked as decoding would check it but without building vectors: for
   * working out a recording's columns. Nothing else in the file is read.
   */
  public static List<ComponentContents> readComponentContents(RecordingSource source, long offset, long length) throws IOException {
    FileBytes bytes = FileBytes.over(source);
    return new ChunkDecoder().componentContents(bytes, ArrowMsgHeader.read(bytes, offset, length));
  }

  /** How messages name the recording read: a path or an object's URI. */
  public String file() {
    return bytes.file();
  }

  public long fileSize() {
    return bytes.size();
  }

  /**
   * The next message, or empty at the end of the file. In {@link ReadMode#SALVAGE} mode, also empty
   * at the first damage, which {@link #damage()} then describes.
   *
   * @throws RrdFormatException in strict mode, at the first damage
   */
  public Optional<RrdMessage> next() throws IOException {
    while (!finished) {
      Frame frame;
      try {
        frame = scanner.next();
        if (frame == null) {
          finished = true;
          return Optional.empty();
        }
        Optional<RrdMessage> message = interpret(frame);
        if (message.isPresent()) {
          return message;
        }
      } catch (RrdFormatException e) {
        stopAt(e);
      }
    }
    return Optional.empty();
  }

  /** Decodes the chunk whose ArrowMsg lies at {@code offset}; the caller closes it. */
  public Chunk readChunk(long offset, long length, BufferAllocator allocator) throws IOException {
    requireNonNull(allocator, "allocator is null");
    return decoder.decode(bytes, ArrowMsgHeader.read(bytes, offset, length), allocator);
  }

  /** Decodes a chunk this reader has yielded; the caller closes it. */
  public Chunk readChunk(RrdMessage.ChunkRef ref, BufferAllocator allocator) throws IOException {
    return readChunk(ref.offset(), ref.length(), allocator);
  }

  /** In salvage mode: the damage where reading stopped, if any. */
  public Optional<RrdFormatException> damage() {
    return Optional.ofNullable(damage);
  }

  /** Things that did not stop reading but a user may want to know: a missing End, ignored bytes. */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /** How many warnings there are so far: {@link #warnings()} grows only at its end. */
  int warningCount() {
    return warnings.size();
  }

  /** The open file, for reading the chunks this reader locates. */
  FileBytes bytes() {
    return bytes;
  }

  /** The ArrowMsg of a chunk this reader has yielded; the one just yielded is not parsed again. */
  ArrowMsgHeader arrowMsg(RrdMessage.ChunkRef ref) throws IOException {
    return ref.offset() == lastArrowMsgOffset ? lastArrowMsg : ArrowMsgHeader.read(bytes, ref.offset(), ref.length());
  }

  /** Records a damage found by a caller while in salvage mode, or throws it in strict mode. */
  void stopAt(RrdFormatException e) throws RrdFormatException {
    finished = true;
    if (mode == ReadMode.STRICT) {
      throw e;
    }
    damage = e;
  }

  private Optional<RrdMessage> interpret(Frame frame) throws IOException {
    return switch (frame.kind()) {
      case SET_STORE_INFO -> Optional.of(storeInfo(frame));
      case ARROW_MSG -> chunkRef(frame);
      case BLUEPRINT_ACTIVATION_COMMAND -> blueprintActivation(frame);
      case END -> Optional.of(new RrdMessage.StreamEnd(frame));
    };
  }

  private RrdMessage storeInfo(Frame frame) throws IOException {
    SetStoreInfo message = parse(frame, "SetStoreInfo", SetStoreInfo::parseFrom);
    io.rrdflight.rrd.proto.StoreInfo info = message.getInfo();
    StoreId id = StoreId.fromProto(info.getStoreId());
    @SuppressWarnings("deprecation") // the legacy field is exactly what we need for old writers
    String legacyApplicationId = info.getApplicationId().getId();
    if (id.applicationId().isEmpty() && !legacyApplicationId.isEmpty()) {
      id = new StoreId(id.kind(), legacyApplicationId, id.recordingId());
    }
    legacyApplicationIds.put(withoutApplication(id), id.applicationId());
    return new RrdMessage.StoreInfo(new Store(id, frame.stream().version()), frame);
  }

  private Optional<RrdMessage> chunkRef(Frame frame) throws IOException {
    ArrowMsgHeader msg = ArrowMsgHeader.read(bytes, frame.payloadOffset(), frame.payloadLength());
    lastArrowMsg = msg;
    lastArrowMsgOffset = frame.payloadOffset();
    return withApplicationId(msg.storeId(), frame, "chunk")
        .map(store -> new RrdMessage.ChunkRef(store, msg.chunkId(), msg.isStatic(), frame));
  }

  private Optional<RrdMessage> blueprintActivation(Frame frame) throws IOException {
    BlueprintActivationCommand message = parse(frame, "BlueprintActivationCommand", BlueprintActivationCommand::parseFrom);
    return withApplicationId(StoreId.fromProto(message.getBlueprintId()), frame, "blueprint activation")
        .map(id -> new RrdMessage.BlueprintActivation(id, message.getMakeActive(), message.getMakeDefault(), frame));
  }

  /** Fills in a legacy store id's application id from its SetStoreInfo; empty if there was none. */
  private Optional<StoreId> withApplicationId(StoreId id, Frame frame, String what) {
    if (!id.applicationId().isEmpty()) {
      return Optional.of(id);
    }
    String applicationId = legacyApplicationIds.get(withoutApplication(id));
    if (applicationId == null) {
      warnings.add("dropped the " + what + " at byte " + frame.offset() + ": its store " + id.recordingId()
          + " has no application id and no SetStoreInfo came before it");
      return Optional.empty();
    }
    return Optional.of(new StoreId(id.kind(), applicationId, id.recordingId()));
  }

  private static StoreId withoutApplication(StoreId id) {
    return new StoreId(id.kind(), "", id.recordingId());
  }

  private interface Parser<T> {
    T parse(InputStream in) throws IOException;
  }

  /** Parses a small message straight from the file: a corrupt length cannot make us buffer it all. */
  private <T> T parse(Frame frame, String what, Parser<T> parser) throws IOException {
    try {
      return parser.parse(new FileRegion(bytes, frame.payloadOffset(), frame.payloadLength()));
    } catch (InvalidProtocolBufferException e) {
      throw new RrdFormatException(bytes.file(), frame.payloadOffset(), "corrupt " + what + " protobuf (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public void close() throws IOException {
    bytes.close();
  }
}
