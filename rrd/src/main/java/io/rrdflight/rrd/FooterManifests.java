package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rrdflight.rrd.proto.RrdFooter;
import io.rrdflight.rrd.proto.RrdManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Optional;

/**
 * The chunk manifest a Rerun 0.28+ writer left in a file's footer, as written: for servers that hand
 * it on (Rerun's GetRrdManifest answers with it). Only a footer that {@link ChunkIndex#build} would
 * trust is read (one stream, checksum matching, ending where the stream footer starts), so its byte
 * offsets are those of the file's own chunks.
 */
public final class FooterManifests {
  private FooterManifests() {}

  /**
   * The footer's manifest of {@code store}, or empty when the file has no trustworthy footer or the
   * footer does not describe that store. Reads only the footer.
   */
  public static Optional<RrdManifest> of(Path file, StoreId store) throws IOException {
    try (LocalFile source = LocalFile.open(file)) {
      return of(source, store);
    }
  }

  /** As {@link #of(Path, StoreId)}, from an open source the caller keeps. */
  public static Optional<RrdManifest> of(RecordingSource source, StoreId store) throws IOException {
    requireNonNull(store, "store is null");
    {
      FileBytes bytes = FileBytes.over(source);
      Optional<FooterIndex.VerifiedFooter> footer = FooterIndex.verifiedFooter(bytes, new ArrayList<>());
      if (footer.isEmpty()) {
        return Optional.empty();
      }
      RrdFooter parsed;
      try {
        parsed = RrdFooter.parseFrom(footer.get().bytes());
      } catch (InvalidProtocolBufferException e) {
        return Optional.empty(); // what the index does too: an unreadable footer is no footer
      }
      return parsed.getManifestsList().stream()
          .filter(m -> StoreId.fromProto(m.getStoreId()).equals(store))
          .findFirst();
    }
  }
}
