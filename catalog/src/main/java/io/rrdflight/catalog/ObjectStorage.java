package io.rrdflight.catalog;

import io.rrdflight.rrd.s3.S3Exception;

/** How a failed request to object storage reads to a catalog client. */
final class ObjectStorage {
  private ObjectStorage() {}

  /** {@code what} says what was being done; S3's own words follow. */
  static CatalogException toCatalog(S3Exception e, String what) {
    String message = what + ": " + e.getMessage();
    return switch (e.reason()) {
      case NOT_FOUND -> CatalogException.notFound(message);
      case ACCESS_DENIED -> CatalogException.permissionDenied(message);
      case CHANGED -> CatalogException.failed(message + "; register it again to serve the new content", e);
      case FAILED -> CatalogException.failed(message, e);
    };
  }
}
