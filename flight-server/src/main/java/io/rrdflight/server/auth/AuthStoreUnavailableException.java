package io.rrdflight.server.auth;

/**
 * The auth state could not be read or written (its database is down, its file unreadable): callers
 * get UNAVAILABLE, not UNAUTHENTICATED, because their credential may well be good.
 */
public final class AuthStoreUnavailableException extends RuntimeException {
  AuthStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
