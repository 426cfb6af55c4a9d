package io.rrdflight.catalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import io.rrdflight.rrd.s3.S3Location;

/**
 * The directories clients may register files from ({@code --allow-root}, and every {@code -d}
 * directory). A path is checked after resolving symlinks, so a link inside a root cannot lead out
 * of it. Outside the roots every path gets the same answer, PERMISSION_DENIED, whether it exists,
 * is unreadable or is missing: a client learns nothing about files it may not register. Only
 * regular files pass; FIFOs and devices are refused from their attributes, without being opened
 * (opening a FIFO blocks until someone writes to it).
 *
 * <p>Objects in S3-compatible storage are allowed below prefixes ({@code --allow-root
 * s3://bucket/prefix/}, and every {@code -d NAME=s3://…} prefix). Keys are literal in S3 (no "..",
 * no links), so a prefix test on the key is the whole check; it is made before any request, so a
 * client learns nothing about objects outside the prefixes either.
 */
public final class AllowedRoots {
  private static final AllowedRoots ANY = new AllowedRoots(null, null);

  /** Each root as configured (absolute, normalised) and as resolved; null means "anywhere". */
  private final List<Root> roots;
  /** The object prefixes; null means "anywhere". */
  private final List<S3Location> prefixes;

  private record Root(Path configured, Path real) {}

  private AllowedRoots(List<Root> roots, List<S3Location> prefixes) {
    this.roots = roots;
    this.prefixes = prefixes;
  }

  /** No restriction: what the server's own {@code -d} directories and tools use. */
  public static AllowedRoots any() {
    return ANY;
  }

  /** Exactly these directories; each must exist. An empty list allows nothing. */
  public static AllowedRoots of(Collection<Path> directories) {
    return of(directories, List.of());
  }

  /** Exactly these directories and object prefixes ({@code s3://bucket/prefix/}). */
  public static AllowedRoots of(Collection<Path> directories, Collection<S3Location> objectPrefixes) {
    List<Root> roots = new ArrayList<>();
    for (Path dir : directories) {
      Path configured = dir.toAbsolutePath().normalize();
      try {
        Path real = configured.toRealPath();
        if (!Files.isDirectory(real)) {
          throw CatalogException.invalidArgument("Allowed root " + configured + " is not a directory");
        }
        roots.add(new Root(configured, real));
      } catch (IOException e) {
        throw CatalogException.invalidArgument("Allowed root " + configured + " does not exist or cannot be read: " + e.getMessage());
      }
    }
    for (S3Location prefix : objectPrefixes) {
      if (!prefix.isPrefix()) {
        throw CatalogException.invalidArgument("Allowed root " + prefix + " must be a bucket or a prefix ending in '/'");
      }
    }
    return new AllowedRoots(List.copyOf(roots), List.copyOf(objectPrefixes));
  }

  public boolean isUnrestricted() {
    return roots == null;
  }

  /** The roots as configured, for the banner and messages; empty when unrestricted. */
  public List<Path> directories() {
    return roots == null ? List.of() : roots.stream().map(Root::configured).toList();
  }

  /** The object prefixes, for the banner and messages; empty when unrestricted. */
  public List<S3Location> objectPrefixes() {
    return prefixes == null ? List.of() : prefixes;
  }

  /**
   * {@code object} itself (an object, or a prefix to list), if it lies below an allowed prefix;
   * otherwise PERMISSION_DENIED, the same whether it exists or not.
   */
  public S3Location requireObject(S3Location object) {
    // S3 keeps keys literally, but a store behind a web server may resolve "." and ".." in the path,
    // which would lead out of the prefix that was checked: such keys are refused outright.
    for (String segment : object.key().split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        throw CatalogException.invalidArgument(object + " has a '.' or '..' segment in its key; name the object directly");
      }
    }
    if (prefixes == null || prefixes.stream().anyMatch(p -> p.contains(object))) {
      return object;
    }
    throw CatalogException.permissionDenied(object + " is not under a prefix this server registers objects from"
        + " (the server's --allow-root s3://… prefixes and -d s3://… prefixes)");
  }

  /**
   * The real path of {@code path}, a regular file under a root that the server can read; otherwise
   * PERMISSION_DENIED (outside the roots), NOT_FOUND (missing) or INVALID_ARGUMENT naming the path
   * (a directory, not a regular file, unreadable).
   */
  public Path requireFile(Path path) {
    Path real = resolve(path);
    BasicFileAttributes attrs = attributes(real, path);
    if (attrs.isDirectory()) {
      throw CatalogException.invalidArgument(path + " is a directory; register it as a prefix (register_prefix) or name its .rrd files");
    }
    if (!attrs.isRegularFile()) {
      throw CatalogException.invalidArgument(path + " is not a regular file (a FIFO, socket or device cannot be registered)");
    }
    if (!Files.isReadable(real)) {
      throw CatalogException.invalidArgument("Not readable by the server: " + path);
    }
    return real;
  }

  /** As {@link #requireFile}, for a directory to walk (a registration prefix). */
  public Path requireDirectory(Path path) {
    Path real = resolve(path);
    if (!attributes(real, path).isDirectory()) {
      // Rerun's words (a prefix in object storage is a directory's equivalent, a file an object).
      throw CatalogException.invalidArgument("expected prefix / directory but got an object (\"" + path + "\")");
    }
    if (!Files.isReadable(real) || !Files.isExecutable(real)) {
      throw CatalogException.invalidArgument("Not readable by the server: " + path);
    }
    return real;
  }

  /** Whether {@code path}, resolved, lies under a root (without telling why not). */
  public boolean allows(Path path) {
    try {
      resolve(path);
      return true;
    } catch (CatalogException e) {
      return false;
    }
  }

  private Path resolve(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    Optional<Path> real;
    try {
      real = Optional.of(absolute.toRealPath());
    } catch (IOException e) {
      real = Optional.empty(); // missing, or a directory on the way is unreadable
    }
    if (roots == null) {
      return real.orElseThrow(() -> CatalogException.notFound("File not found: " + path));
    }
    if (real.isPresent()) {
      if (under(real.get(), true)) {
        return real.get();
      }
      throw outside(path);
    }
    // Missing or unreadable: only a path that is under a root as written may say so.
    if (under(absolute, false)) {
      throw CatalogException.notFound("File not found: " + path);
    }
    throw outside(path);
  }

  private boolean under(Path p, boolean real) {
    for (Root r : roots) {
      if (p.startsWith(real ? r.real() : r.configured()) || (!real && p.startsWith(r.real()))) {
        return true;
      }
    }
    return false;
  }

  private static BasicFileAttributes attributes(Path real, Path asked) {
    try {
      return Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw CatalogException.notFound("File not found: " + asked);
    }
  }

  private CatalogException outside(Path path) {
    return CatalogException.permissionDenied(path + " is not under a directory this server registers files from"
        + " (the server's --allow-root directories and -d directories)");
  }
}
