package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files of the data dir readable and writable by the server's user only (mode 0600): the catalog
 * names every registered file and, with auth, the data dir holds keys. On file systems without
 * POSIX permissions nothing is changed.
 */
final class OwnerOnlyFiles {
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private OwnerOnlyFiles() {}

  /** Creates {@code file} empty with mode 0600, or sets an existing one to 0600. */
  static void createOrRestrict(Path file) {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException e) {
      restrictIfPresent(file);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system.
    } catch (IOException e) {
      throw CatalogException.failed("Cannot create " + file + ": " + e.getMessage(), e);
    }
  }

  static void restrictIfPresent(Path file) {
    try {
      if (Files.exists(file)) {
        Files.setPosixFilePermissions(file, OWNER_ONLY);
      }
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system.
    } catch (IOException e) {
      throw CatalogException.failed("Cannot restrict " + file + " to its owner: " + e.getMessage(), e);
    }
  }
}
