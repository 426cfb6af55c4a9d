package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything {@link RrdflightServer} needs to start; built by the CLI.
 *
 * @param allowedRoots directories under which clients may register files (--allow-root), besides
 *     every {@code -d} directory
 */
public record ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, List<Path> allowedRoots,
    ServerLimits limits) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 51234;

  public ServerConfig {
    requireNonNull(host, "host is null");
    requireNonNull(dataDir, "dataDir is null");
    datasets = List.copyOf(requireNonNull(datasets, "datasets is null"));
    allowedRoots = List.copyOf(requireNonNull(allowedRoots, "allowedRoots is null"));
    requireNonNull(limits, "limits is null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** The default limits and no allowed roots but the {@code -d} directories. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets) {
    this(host, port, dataDir, datasets, List.of(), ServerLimits.DEFAULTS);
  }

  /** A directory of recordings to serve as a dataset named {@code name}. */
  public record DatasetSource(String name, Path directory) {
    public DatasetSource {
      requireNonNull(name, "name is null");
      requireNonNull(directory, "directory is null");
    }
  }
}
