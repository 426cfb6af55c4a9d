package io.rrdflight.rrd.s3;

import static java.util.Objects.requireNonNull;

import java.io.IOException;

/**
 * A request to object storage that did not succeed, with what went wrong in words a user can act
 * on: the object or bucket is missing, the credentials are refused, the object changed since it was
 * registered (its ETag differs), or the store failed. Never carries credentials or object content.
 */
public final class S3Exception extends IOException {
  public enum Reason { NOT_FOUND, ACCESS_DENIED, CHANGED, FAILED }

  private final Reason reason;

  public S3Exception(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = requireNonNull(reason, "reason is null");
  }

  public Reason reason() {
    return reason;
  }
}
