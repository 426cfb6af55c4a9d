package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * A catalog request that cannot be done, with a message a user can act on. The {@link Kind} says
 * how a front door reports it (e.g. gRPC NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT).
 */
public final class CatalogException extends RuntimeException {
  /**
   * What went wrong, for the front doors' status codes. FAILED: the request was fine but the state
   * of the files does not allow it (a file changed since registration); the message says what to
   * do. PERMISSION_DENIED: a path outside the allowed roots. INTERNAL: the server's own fault (the
   * store failed, the disk is full); its message is for the log, not for clients.
   */
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, PERMISSION_DENIED, FAILED, INTERNAL }

  private final Kind kind;

  public CatalogException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = requireNonNull(kind, "kind is null");
  }

  public static CatalogException notFound(String message) {
    return new CatalogException(Kind.NOT_FOUND, message, null);
  }

  public static CatalogException alreadyExists(String message) {
    return new CatalogException(Kind.ALREADY_EXISTS, message, null);
  }

  public static CatalogException invalidArgument(String message) {
    return new CatalogException(Kind.INVALID_ARGUMENT, message, null);
  }

  public static CatalogException failed(String message, Throwable cause) {
    return new CatalogException(Kind.FAILED, message, cause);
  }

  public static CatalogException permissionDenied(String message) {
    return new CatalogException(Kind.PERMISSION_DENIED, message, null);
  }

  public static CatalogException internal(String message, Throwable cause) {
    return new CatalogException(Kind.INTERNAL, message, cause);
  }

  public Kind kind() {
    return kind;
  }
}
