package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.CatalogLocation;
import io.rrdflight.catalog.CompactionPolicy;
import io.rrdflight.rrd.s3.S3Location;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything {@link RrdflightServer} needs to start; built by the CLI.
 *
 * @param allowedRoots directories under which clients may register files (--allow-root), besides
 *     every {@code -d} directory
 * @param catalog where the catalog lives: {@code DATA_DIR/catalog.db} by default, or PostgreSQL (--catalog)
 * @param objectStorage where S3-compatible storage is and which prefixes clients may register from
 * @param tables the {@code -t} tables to serve
 * @param advertise the address this node puts in Flight endpoints for other clients (--advertise), on a fleet
 * @param compaction which recordings of many small chunks get a compacted copy (--compact-small-chunks)
 */
public record ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, List<Path> allowedRoots,
    ServerLimits limits, Security security, CatalogLocation catalog, ObjectStorage objectStorage, List<TableSource> tables,
    java.util.Optional<java.net.URI> advertise, CompactionPolicy compaction) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 51234;

  public ServerConfig {
    requireNonNull(host, "host is null");
    requireNonNull(dataDir, "dataDir is null");
    datasets = List.copyOf(requireNonNull(datasets, "datasets is null"));
    allowedRoots = List.copyOf(requireNonNull(allowedRoots, "allowedRoots is null"));
    requireNonNull(limits, "limits is null");
    requireNonNull(security, "security is null");
    requireNonNull(catalog, "catalog is null");
    requireNonNull(objectStorage, "objectStorage is null");
    tables = List.copyOf(requireNonNull(tables, "tables is null"));
    requireNonNull(advertise, "advertise is null");
    requireNonNull(compaction, "compaction is null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** The catalog in the data dir, without object storage settings (AWS's endpoints, no object prefixes allowed but the {@code -d} ones) or {@code -t} tables. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, List<Path> allowedRoots,
      ServerLimits limits, Security security) {
    this(host, port, dataDir, datasets, allowedRoots, limits, security, new CatalogLocation.Embedded(dataDir), ObjectStorage.DEFAULT,
        List.of(), java.util.Optional.empty(), CompactionPolicy.AUTO);
  }

  /** The default limits, no allowed roots but the {@code -d} directories, no tokens or TLS. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets) {
    this(host, port, dataDir, datasets, List.of(), ServerLimits.DEFAULTS, Security.OPEN);
  }

  /** The default limits and roots, with {@code security}. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, Security security) {
    this(host, port, dataDir, datasets, List.of(), ServerLimits.DEFAULTS, security);
  }

  /** Without tokens or TLS. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, List<Path> allowedRoots, ServerLimits limits) {
    this(host, port, dataDir, datasets, allowedRoots, limits, Security.OPEN);
  }

  /**
   * A directory ({@code file:///…}) or object prefix ({@code s3://bucket/prefix/}) of recordings to
   * serve as a dataset named {@code name}.
   */
  public record DatasetSource(String name, URI location) {
    public DatasetSource {
      requireNonNull(name, "name is null");
      requireNonNull(location, "location is null");
    }

    public DatasetSource(String name, Path directory) {
      this(name, requireNonNull(directory, "directory is null").toAbsolutePath().normalize().toUri());
    }

    public boolean isObject() {
      return S3Location.isS3(location);
    }

    /** The local directory; only for {@code file://} sources. */
    public Path directory() {
      return Path.of(location);
    }

    /** How the banner shows it: a path or {@code s3://bucket/prefix/}. */
    public String display() {
      return isObject() ? S3Location.of(location).toString() : directory().toString();
    }
  }

  /**
   * Object storage: the endpoint of an S3-compatible store ({@code --s3-endpoint}; empty: AWS) and
   * the prefixes clients may register objects from ({@code --allow-root s3://…}), besides every
   * {@code -d s3://…} prefix. Credentials come from the standard AWS chain, never from here.
   */
  public record ObjectStorage(Optional<URI> endpoint, List<S3Location> allowedPrefixes) {
    public static final ObjectStorage DEFAULT = new ObjectStorage(Optional.empty(), List.of());

    public ObjectStorage {
      requireNonNull(endpoint, "endpoint is null");
      allowedPrefixes = List.copyOf(requireNonNull(allowedPrefixes, "allowedPrefixes is null"));
    }
  }

  /** A Lance table directory to serve as the table entry {@code name} ({@code -t NAME=DIR}). */
  public record TableSource(String name, Path directory) {
    public TableSource {
      requireNonNull(name, "name is null");
      requireNonNull(directory, "directory is null");
    }
  }

  /**
   * How the port is locked: whether every call needs a token ({@code --auth}; the keys and token
   * records live in the data dir), and the TLS certificate and key, if any.
   */
  public record Security(boolean requireTokens, Optional<TlsFiles> tls) {
    public static final Security OPEN = new Security(false, Optional.empty());

    public Security {
      requireNonNull(tls, "tls is null");
    }
  }

  /** A PEM certificate chain and its PEM PKCS#8 private key. */
  public record TlsFiles(Path certificateChain, Path privateKey) {
    public TlsFiles {
      requireNonNull(certificateChain, "certificateChain is null");
      requireNonNull(privateKey, "privateKey is null");
    }
  }
}
