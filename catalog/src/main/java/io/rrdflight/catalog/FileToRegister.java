package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A file a client asks to register, with what its call already read of it: its recordings, when its
 * footer gave them ({@link Catalog#indexFromFooter}). Such a file is committed at once, with the
 * other files of its call indexed so, in one transaction; any other is indexed by a worker.
 */
public record FileToRegister(DataSource source, Optional<Indexed> indexed) {
  public FileToRegister {
    requireNonNull(source, "source is null");
    requireNonNull(indexed, "indexed is null");
  }

  /** A file for a worker to index, as every file was before calls read footers. */
  public static FileToRegister toIndex(DataSource source) {
    return new FileToRegister(source, Optional.empty());
  }

  /** The file as it was when it was read (checked again by nothing later: the commit stores this stamp) and its stores. */
  public record Indexed(FileStamp stamp, List<IndexedRecording> recordings) {
    public Indexed {
      requireNonNull(stamp, "stamp is null");
      recordings = List.copyOf(recordings);
    }

    /** The ids of its recordings, as a probe would list them. */
    public List<String> recordingIds() {
      return recordings.stream().map(IndexedRecording::recordingId).toList();
    }
  }
}
