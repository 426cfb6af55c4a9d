package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

/**
 * A catalog request that cannot be done, with a message a user can act on. The {@link Kind} says
 * how a front door reports it (e.g. gRPC NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT).
 */
public final class CatalogException extends RuntimeException {
  public enum Kind { NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED }

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

  public Kind kind() {
    return kind;
  }
}
