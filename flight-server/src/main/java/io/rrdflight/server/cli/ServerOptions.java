package io.rrdflight.server.cli;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code rrdflight server} was given, typed, as picocli parsed it (defaults filled in, not yet checked):
 * {@link ServerCommand} reads its options once into this and turns it into a {@code ServerConfig}. Each component is
 * the option of the same name; the help text of {@link ServerCommand} says what each means.
 */
record ServerOptions(
    List<String> datasets,
    List<String> tables,
    String host,
    int port,
    Path dataDir,
    Optional<String> catalog,
    Optional<URI> advertise,
    boolean auth,
    boolean insecureNoAuth,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    List<String> allowRoots,
    Optional<String> s3Endpoint,
    long queryTimeoutSeconds,
    String queryMemory,
    String chunkCache,
    int queryWorkers,
    int maxQueries,
    int maxQueuedQueries,
    int maxSqlLength,
    String maxMessageSize,
    int maxConnections,
    int maxCallsPerConnection,
    long firstBytesTimeoutSeconds,
    long idleTimeoutSeconds,
    int maxPrefixFiles,
    String compactSmallChunks,
    boolean exitWhenReady,
    boolean trainCalls) {

  ServerOptions {
    datasets = List.copyOf(datasets);
    tables = List.copyOf(tables);
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(catalog, "catalog");
    requireNonNull(advertise, "advertise");
    requireNonNull(tlsCert, "tlsCert");
    requireNonNull(tlsKey, "tlsKey");
    allowRoots = List.copyOf(allowRoots);
    requireNonNull(s3Endpoint, "s3Endpoint");
    requireNonNull(queryMemory, "queryMemory");
    requireNonNull(chunkCache, "chunkCache");
    requireNonNull(maxMessageSize, "maxMessageSize");
    requireNonNull(compactSmallChunks, "compactSmallChunks");
  }
}
