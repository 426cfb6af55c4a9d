package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.s3.S3Location;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * A recording (or a prefix of recordings) to register, by URI, into a layer: a local file
 * ({@code file:///abs/path.rrd}) or an object in S3-compatible storage ({@code s3://bucket/key.rrd},
 * {@code s3://bucket/prefix/}).
 */
public record DataSource(URI uri, String layer) {
  public DataSource {
    requireNonNull(uri, "uri is null");
    requireNonNull(layer, "layer is null");
  }

  public static DataSource of(String uri, String layer) {
    try {
      return new DataSource(new URI(requireNonNull(uri, "uri is null")), layer == null || layer.isBlank() ? Partition.DEFAULT_LAYER : layer);
    } catch (URISyntaxException e) {
      throw CatalogException.invalidArgument("Not a valid URI: '" + uri + "': " + e.getMessage());
    }
  }

  /** Whether this names an object or prefix in S3-compatible storage. */
  public boolean isObject() {
    return S3Location.isS3(uri);
  }

  /** The object or prefix this source names; only {@code s3://bucket/key} URIs. */
  public S3Location object() {
    try {
      return S3Location.of(uri);
    } catch (IllegalArgumentException e) {
      throw CatalogException.invalidArgument(e.getMessage());
    }
  }

  /**
   * Where the recording is, as the catalog records it: the absolute path of a local file, or
   * {@code s3://bucket/key}.
   */
  public String location() {
    return isObject() ? object().toString() : localPath().toString();
  }

  /** The local file this source names; only {@code file://} URIs with an absolute path are served. */
  public Path localPath() {
    if (!"file".equalsIgnoreCase(uri.getScheme())) {
      throw CatalogException.invalidArgument("Only file:// and s3:// URIs can be registered, got '" + uri + "'");
    }
    if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !uri.getAuthority().equals("localhost")) {
      throw CatalogException.invalidArgument("file:// URI names another host '" + uri.getAuthority() + "': '" + uri + "'");
    }
    if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
      throw CatalogException.invalidArgument("file:// URI needs an absolute path, like file:///data/run.rrd, got '" + uri + "'");
    }
    return Path.of(uri.getPath());
  }
}
