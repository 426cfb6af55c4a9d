package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** A file as seen at one moment: path, size and modification time. Equal stamps mean "unchanged". */
public record FileStamp(Path path, long sizeBytes, long modifiedNanos) {
  public FileStamp {
    requireNonNull(path, "path is null");
  }

  public static FileStamp of(Path path) throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
    return new FileStamp(path, attrs.size(), attrs.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
        + attrs.lastModifiedTime().toInstant().getNano());
  }

  /**
   * Fails with a message naming the partition and file when the file is gone or differs from this
   * stamp: serving chunks at stale offsets would return wrong data.
   */
  public void verifyUnchanged(String partitionId) {
    FileStamp now;
    try {
      now = of(path);
    } catch (NoSuchFileException e) {
      throw CatalogException.failed("Partition " + partitionId + ": its file " + path + " no longer exists; "
          + "register it again or delete the partition", e);
    } catch (IOException e) {
      throw CatalogException.failed("Partition " + partitionId + ": cannot read its file " + path + ": " + e.getMessage(), e);
    }
    if (now.sizeBytes != sizeBytes || now.modifiedNanos != modifiedNanos) {
      throw CatalogException.failed("Partition " + partitionId + ": its file " + path + " changed since it was registered "
          + "(size " + sizeBytes + " -> " + now.sizeBytes + " bytes); register it again to serve the new content", null);
    }
  }
}
