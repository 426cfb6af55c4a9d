package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** A file to register, by URI ({@code file:///abs/path.rrd}), into a layer. */
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

  /** The local file this source names; only {@code file://} URIs with an absolute path are served. */
  public Path localPath() {
    if (!"file".equalsIgnoreCase(uri.getScheme())) {
      throw CatalogException.invalidArgument("Only file:// URIs can be registered, got '" + uri + "'");
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
