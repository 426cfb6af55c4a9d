package io.rrdflight.rrd;

import static java.util.Objects.requireNonNull;

import io.rrdflight.rrd.s3.ObjectReads;
import io.rrdflight.rrd.s3.S3Client;
import io.rrdflight.rrd.s3.S3Location;
import io.rrdflight.rrd.s3.S3Object;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place that turns a recording's location into a {@link RecordingSource}: a local path
 * ({@link LocalFile}) or {@code s3://bucket/key} ({@link S3Object}, through the configured
 * {@link S3Client}). Callers above rrd name recordings by location and never open them otherwise.
 */
public final class RecordingSources implements AutoCloseable {
  /** Threads that run S3 GETs ahead of readers: they wait on the network, not the CPU. */
  private static final int FETCH_THREADS = 16;

  private final Optional<S3Client> s3;
  private final ExecutorService fetchers;
  private final ObjectReads objectReads = new ObjectReads();

  private RecordingSources(Optional<S3Client> s3) {
    this.s3 = requireNonNull(s3, "s3 is null");
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(FETCH_THREADS, FETCH_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "rrdflight-s3-fetch-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
    this.fetchers = pool;
  }

  /** Local files only: an {@code s3://} location is refused. */
  public static RecordingSources localOnly() {
    return new RecordingSources(Optional.empty());
  }

  /** Local files, and objects through {@code client}. */
  public static RecordingSources withS3(S3Client client) {
    return new RecordingSources(Optional.of(requireNonNull(client, "client is null")));
  }

  /** Whether {@code location} names an object ({@code s3://…}) rather than a local path. */
  public static boolean isObject(String location) {
    return location.startsWith("s3://");
  }

  /** Whether {@code s3://} locations can be read. */
  public boolean readsObjects() {
    return s3.isPresent();
  }

  /** The S3 client, for listing prefixes. */
  public S3Client s3() {
    return s3.orElseThrow(() -> new IllegalStateException("this server reads no object storage"));
  }

  /** Opens the recording as it is now: a file, or an object (one HEAD request). */
  public RecordingSource open(String location) throws IOException {
    if (isObject(location)) {
      return S3Object.open(s3(), S3Location.parse(location), fetchers, objectReads);
    }
    return LocalFile.open(Path.of(location));
  }

  /**
   * Opens the recording expecting the size and version it had when registered. An object costs no
   * request here: its reads fail if it is no longer that version. A file is opened, and its stamp
   * is what the caller compares.
   */
  public RecordingSource openAsOf(String location, long size, String version) throws IOException {
    if (isObject(location)) {
      return S3Object.openAsOf(s3(), S3Location.parse(location), size, version, fetchers, objectReads);
    }
    return LocalFile.open(Path.of(location));
  }

  /** What the objects opened here asked of the store so far. */
  public ObjectReads.Counts objectReads() {
    return objectReads.counts();
  }

  @Override
  public void close() {
    fetchers.shutdownNow();
  }
}
