package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Exception;
import io.rrdflight.rrd.s3.S3Location;

/**
 * The one listing of recordings in a directory, for both ways of registering many files: a
 * {@code -d} directory (its top level, as {@code rerun server -d} reads it) and a registration
 * prefix (everything below it, as Rerun's RegisterWithDataset walks it). A recording is a regular
 * file, or a link to one, whose name ends in {@code .rrd} in any case; FIFOs, devices and sockets
 * are skipped without being opened, and directory links are not followed (no cycles). The walk
 * visits at most {@code maxEntries} entries, so a prefix such as {@code /} ends quickly. An object
 * prefix ({@code s3://bucket/prefix/}) is listed the same way: its top level or everything below it.
 */
final class RecordingFiles {
  enum Depth { TOP_LEVEL, RECURSIVE }

  private RecordingFiles() {}

  /** The recordings in {@code dir}, sorted by path; INVALID_ARGUMENT when the walk meets more than {@code maxEntries} entries. */
  static List<Path> list(Path dir, Depth depth, int maxEntries) {
    List<Path> found = new ArrayList<>();
    int[] seen = {0};
    boolean[] tooMany = {false};
    try {
      Files.walkFileTree(dir, EnumSet.noneOf(FileVisitOption.class), depth == Depth.TOP_LEVEL ? 1 : Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
              return count() ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (!count()) {
                return FileVisitResult.TERMINATE;
              }
              if (isRecordingName(file) && (attrs.isRegularFile() || (attrs.isSymbolicLink() && Files.isRegularFile(file)))) {
                found.add(file.toAbsolutePath().normalize());
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              if (file.equals(dir)) {
                throw CatalogException.invalidArgument("Cannot list " + dir + ": " + e.getMessage());
              }
              return FileVisitResult.CONTINUE; // an unreadable subdirectory: skip it
            }

            private boolean count() {
              if (++seen[0] > maxEntries) {
                tooMany[0] = true;
                return false;
              }
              return true;
            }
          });
    } catch (IOException e) {
      throw CatalogException.invalidArgument("Cannot list " + dir + ": " + e.getMessage());
    }
    if (tooMany[0]) {
      throw CatalogException.invalidArgument(dir + " holds more than " + maxEntries + " files and directories; "
          + "register a smaller prefix, or raise the limit with --max-prefix-files");
    }
    found.sort(null);
    return found;
  }

  /** The recordings below an object prefix, sorted by key; INVALID_ARGUMENT beyond {@code maxEntries} objects. */
  static List<S3Client.ObjectInfo> listObjects(S3Client client, S3Location prefix, Depth depth, int maxEntries) {
    List<S3Client.ObjectInfo> all;
    try {
      all = client.list(prefix, maxEntries);
    } catch (S3Exception e) {
      throw ObjectStorage.toCatalog(e, "Cannot list " + prefix);
    } catch (java.io.IOException e) {
      throw CatalogException.invalidArgument("Cannot list " + prefix + ": " + e.getMessage());
    }
    List<S3Client.ObjectInfo> found = new ArrayList<>();
    for (S3Client.ObjectInfo o : all) {
      String rest = o.location().key().substring(prefix.key().length());
      if (depth == Depth.TOP_LEVEL && rest.contains("/")) {
        continue;
      }
      if (rest.toLowerCase(Locale.ROOT).endsWith(".rrd")) {
        found.add(o);
      }
    }
    return found;
  }

  static boolean isRecordingName(Path file) {
    return file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".rrd");
  }
}
