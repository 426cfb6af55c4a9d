package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One server per data dir: an exclusive OS lock on {@code DATA_DIR/rrdflight.lock}, which holds the
 * holder's pid so the second server can say who has it. Two processes writing one catalog would
 * each keep their own in-memory view and diverge. The OS drops the lock when the process dies, even
 * by {@code kill -9}, so a stale lock file never blocks a restart.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE_NAME = "rrdflight.lock";

  /**
   * Lock files this process holds. Checked before opening the file again: on Linux, closing any
   * descriptor of a file drops every lock the process has on it, so a second open in the same JVM
   * would silently release the first one.
   */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or fails with one line naming the data dir and the holder's pid. */
  static DataDirLock acquire(Path dataDir) {
    Path file = dataDir.toAbsolutePath().normalize().resolve(FILE_NAME);
    if (!HELD.add(file)) {
      throw CatalogException.failed("Data dir " + dataDir + " is already open in this process (pid "
          + ProcessHandle.current().pid() + ")", null);
    }
    try {
      return lock(dataDir, file);
    } catch (RuntimeException e) {
      HELD.remove(file);
      throw e;
    }
  }

  private static DataDirLock lock(Path dataDir, Path file) {
    OwnerOnlyFiles.createOrRestrict(file);
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw CatalogException.failed("Cannot open " + file + ": " + e.getMessage(), e);
    }
    try {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw CatalogException.failed("Data dir " + dataDir + " is in use by another rrdflight server (" + holder(channel)
            + "); stop it or choose another --data-dir", null);
      }
      // The pid only names the holder in the second server's message; the lock itself is the OS's. So no
      // fsync (a disk flush, up to ~10 ms of every start), and the file is cut only when an earlier pid
      // was longer (truncating a file to zero frees its block: ~1-2 ms).
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
      channel.write(ByteBuffer.wrap(pid), 0);
      if (channel.size() > pid.length) {
        channel.truncate(pid.length);
      }
      return new DataDirLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      if (e instanceof CatalogException c) {
        throw c;
      }
      throw CatalogException.failed("Cannot lock " + file + ": " + e.getMessage(), e);
    }
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer buf = ByteBuffer.allocate(32);
      int n = channel.read(buf, 0);
      String pid = n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.US_ASCII).trim();
      return pid.matches("\\d+") ? "pid " + pid : "pid unknown";
    } catch (IOException e) {
      return "pid unknown";
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // Closing the channel releases it too.
    }
    closeQuietly(channel);
    HELD.remove(file);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }
}
