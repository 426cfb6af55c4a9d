package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * An object ({@code s3://bucket/key.rrd}) or a prefix ({@code s3://bucket/prefix/}, key ending in
 * "/" or empty) in S3-compatible storage. Keys are taken literally, as S3 does: no "." or ".."
 * resolution, so a prefix check on the key is exact.
 */
public record S3Location(String bucket, String key) {
  public S3Location {
    requireNonNull(bucket, "bucket is null");
    requireNonNull(key, "key is null");
    if (!bucket.matches("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name (3 to 63 of a-z, 0-9, '.', '-')");
    }
  }

  public static boolean isS3(URI uri) {
    return uri != null && "s3".equalsIgnoreCase(uri.getScheme());
  }

  /** Parses {@code s3://bucket/key}; the key may be empty (the whole bucket as a prefix). */
  public static S3Location of(URI uri) {
    if (!isS3(uri)) {
      throw new IllegalArgumentException("not an s3:// URI: '" + uri + "'");
    }
    String bucket = uri.getAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException("s3:// URI names no bucket, like s3://bucket/key.rrd: '" + uri + "'");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("s3:// URI with a query or fragment: '" + uri + "'");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    return new S3Location(bucket, path.startsWith("/") ? path.substring(1) : path);
  }

  /** Parses the form {@link #toString()} gives ({@code s3://bucket/key}, the key as is, not encoded). */
  public static S3Location parse(String name) {
    if (!name.startsWith("s3://")) {
      throw new IllegalArgumentException("not an s3:// location: '" + name + "'");
    }
    String rest = name.substring("s3://".length());
    int slash = rest.indexOf('/');
    return slash < 0 ? new S3Location(rest, "") : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
  }

  /** Whether {@code other} is this prefix or lies below it. */
  public boolean contains(S3Location other) {
    return bucket.equals(other.bucket) && other.key.startsWith(key);
  }

  /** Whether this names a prefix (a "directory") rather than an object. */
  public boolean isPrefix() {
    return key.isEmpty() || key.endsWith("/");
  }

  public S3Location child(String childKey) {
    return new S3Location(bucket, childKey);
  }

  public URI uri() {
    return URI.create("s3://" + bucket + "/" + S3Signer.encodePath(key));
  }

  @Override
  public String toString() {
    return "s3://" + bucket + "/" + key;
  }
}
