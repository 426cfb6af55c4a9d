package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Metadata;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Rerun client on the other end of a call, from the {@code x-rerun-client-version} header every
 * official client sends ({@code rerun-py/0.41.0}, {@code rerun/0.27.3}, …; the part before the last
 * slash varies, so only what follows it is read). Decides which vocabulary a call is answered in.
 *
 * @param header the header as sent, empty when the call had none
 * @param version the semantic version in it, empty when absent or unreadable
 */
public record ClientVersion(Optional<String> header, Optional<Semver> version) {
  static final Metadata.Key<String> HEADER = Metadata.Key.of("x-rerun-client-version", Metadata.ASCII_STRING_MARSHALLER);

  /** The oldest and newest client versions rrdflight is tested with; see {@link #supported()}. */
  public static final Semver OLDEST = new Semver(0, 27, 0);
  public static final Semver NEWEST = new Semver(0, 41, Integer.MAX_VALUE);
  /** Clients from here on say "segment" and read 0.28's field numbers. */
  static final Semver SEGMENTS_FROM = new Semver(0, 28, 0);
  /** Clients from here on read (and send) LZ4-compressed dataframe parts. */
  static final Semver COMPRESSED_PARTS_FROM = new Semver(0, 29, 0);
  /** Clients from here on expect a duplicate registration to fail its task, not the call. */
  static final Semver DUPLICATES_IN_TASKS_FROM = new Semver(0, 41, 0);
  /** Clients from here on expect a segment id the dataset does not hold to be skipped in queries (Rerun's server since 0.33), not NOT_FOUND. */
  /** Clients from here on expect a registration naming one segment layer twice to be refused whole (Rerun's server since 0.30). */
  static final Semver REFUSES_REPEATS_IN_REQUEST_FROM = new Semver(0, 30, 0);
  static final Semver SKIPS_UNKNOWN_SEGMENTS_FROM = new Semver(0, 33, 0);
  /** Clients from here on know asset datasets (entry kind 6, DatasetDetails.asset_dataset): Rerun added them in 0.35. */
  static final Semver ASSET_DATASETS_FROM = new Semver(0, 35, 0);
  /** What the README and every refusal call the supported range. */
  public static final String SUPPORTED_RANGE = "rerun-sdk 0.27.x and 0.28 to 0.41.x";

  private static final Context.Key<ClientVersion> KEY = Context.key("rerun-client-version");
  private static final Pattern SEMVER = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*");

  public record Semver(int major, int minor, int patch) implements Comparable<Semver> {
    @Override
    public int compareTo(Semver o) {
      int c = Integer.compare(major, o.major);
      if (c == 0) {
        c = Integer.compare(minor, o.minor);
      }
      return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
      return major + "." + minor + "." + patch;
    }
  }

  /** The two vocabularies of Rerun's catalog protocol. */
  public enum Generation {
    /** rerun-sdk 0.27: partitions, 0.27 field numbers, uncompressed dataframe parts. */
    PARTITIONS,
    /** rerun-sdk 0.28 and later: segments, renumbered fields, new RPCs (WhoAmI, FindChunks, …). */
    SEGMENTS
  }

  public ClientVersion {
    requireNonNull(header, "header is null");
    requireNonNull(version, "version is null");
  }

  public static ClientVersion parse(String header) {
    if (header == null) {
      return new ClientVersion(Optional.empty(), Optional.empty());
    }
    String tail = header.substring(header.lastIndexOf('/') + 1).trim();
    Matcher m = SEMVER.matcher(tail);
    Optional<Semver> version = Optional.empty();
    if (m.matches()) {
      try {
        version = Optional.of(new Semver(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
      } catch (NumberFormatException tooLarge) {
        // Stays unreadable: treated like a call without the header.
      }
    }
    return new ClientVersion(Optional.of(header), version);
  }

  static ClientVersion of(Metadata headers) {
    return parse(headers.get(HEADER));
  }

  /**
   * Calls without a readable version (grpcurl, hand-written clients) are answered in the newest
   * vocabulary, as Rerun's own server does.
   */
  public Generation generation() {
    return version.isPresent() && version.get().compareTo(SEGMENTS_FROM) < 0 ? Generation.PARTITIONS : Generation.SEGMENTS;
  }

  /** Whether dataframe parts sent to this client are LZ4-compressed (0.29+, and clients without a version). */
  public boolean readsCompressedParts() {
    return version.isEmpty() || version.get().compareTo(COMPRESSED_PARTS_FROM) >= 0;
  }

  /**
   * Whether a registration of segments the dataset already has fails in the task (0.41+, and clients
   * without a version) rather than the call (earlier clients raise AlreadyExistsError from the call).
   */
  public boolean expectsDuplicatesInTasks() {
    return version.isEmpty() || version.get().compareTo(DUPLICATES_IN_TASKS_FROM) >= 0;
  }

  /**
   * Whether a query naming a segment the dataset does not hold skips it (0.33+, and clients without a
   * version), as Rerun's server does since a filter's segment ids became data there; earlier clients
   * get NOT_FOUND, as from their server.
   */
  public boolean expectsUnknownSegmentsSkipped() {
    return version.isEmpty() || version.get().compareTo(SKIPS_UNKNOWN_SEGMENTS_FROM) >= 0;
  }

  /**
   * Whether a registration that names one segment layer twice (a file twice, or two files of one
   * recording) fails as a whole with INVALID_ARGUMENT before anything is registered, whatever its
   * on_duplicate (0.30+, and clients without a version), as Rerun's server does since then; earlier
   * clients see the second one treated as a duplicate of the first, as before.
   */
  public boolean expectsRepeatsInRequestRefused() {
    return version.isEmpty() || version.get().compareTo(REFUSES_REPEATS_IN_REQUEST_FROM) >= 0;
  }

  /**
   * Whether the client knows asset datasets (0.35+, and clients without a version): earlier ones are
   * not shown them in listings nor named one in a dataset's details, as their enum has no such kind.
   */
  public boolean knowsAssetDatasets() {
    return version.isEmpty() || version.get().compareTo(ASSET_DATASETS_FROM) >= 0;
  }

  /** Whether rrdflight serves this client: a version in the tested range, or no version at all. */
  public boolean supported() {
    return version.isEmpty() || (version.get().compareTo(OLDEST) >= 0 && version.get().compareTo(NEWEST) <= 0);
  }

  /** The message a client outside the range gets, naming the range and what the client said. */
  public String unsupportedMessage() {
    return "rrdflight serves " + SUPPORTED_RANGE + "; this client says '" + header.orElse("") + "'. Install a rerun-sdk in that range"
        + " (e.g. pip install rerun-sdk==0.41.0) to use this server.";
  }

  Context attachTo(Context context) {
    return context.withValue(KEY, this);
  }

  /** The client of the current call; a call outside the Rerun service counts as one without a header. */
  public static ClientVersion current() {
    ClientVersion v = KEY.get();
    return v != null ? v : new ClientVersion(Optional.empty(), Optional.empty());
  }

  @Override
  public String toString() {
    return header.orElse("(no x-rerun-client-version)");
  }
}
