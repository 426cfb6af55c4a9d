package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.RecordingSource;
import io.rrdflight.rrd.RecordingSources;
import java.nio.file.Path;

/**
 * A recording as seen at one moment: where it is (a local path, or {@code s3://bucket/key}), its
 * size and its version (a file's modification time in nanoseconds, an object's ETag). Equal stamps
 * mean "unchanged".
 */
public record FileStamp(String location, long sizeBytes, String version) {
  public FileStamp {
    requireNonNull(location, "location is null");
    requireNonNull(version, "version is null");
  }

  /** The stamp of an open recording, as it was when opened. */
  public static FileStamp of(RecordingSource source) {
    return new FileStamp(source.name(), source.size(), source.version());
  }

  /** Whether the recording is an object in S3-compatible storage rather than a local file. */
  public boolean isObject() {
    return RecordingSources.isObject(location);
  }

  /** The local path; only for local files. */
  public Path path() {
    if (isObject()) {
      throw new IllegalStateException(location + " is not a local file");
    }
    return Path.of(location);
  }

  /** Whether {@code now} (the same recording, opened later) is unchanged. */
  public boolean sameAs(FileStamp now) {
    return sizeBytes == now.sizeBytes && version.equals(now.version);
  }

  @Override
  public String toString() {
    return location;
  }
}
