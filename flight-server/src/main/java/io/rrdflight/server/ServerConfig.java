package io.rrdflight.server;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Everything {@link RrdflightServer} needs to start; built by the CLI. */
public record ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets, Security security) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 51234;

  public ServerConfig {
    requireNonNull(host, "host is null");
    requireNonNull(dataDir, "dataDir is null");
    datasets = List.copyOf(requireNonNull(datasets, "datasets is null"));
    requireNonNull(security, "security is null");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /** A server without tokens or TLS. */
  public ServerConfig(String host, int port, Path dataDir, List<DatasetSource> datasets) {
    this(host, port, dataDir, datasets, Security.OPEN);
  }

  /** A directory of recordings to serve as a dataset named {@code name}. */
  public record DatasetSource(String name, Path directory) {
    public DatasetSource {
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
