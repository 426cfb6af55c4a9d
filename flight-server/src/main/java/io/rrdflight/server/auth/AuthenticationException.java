package io.rrdflight.server.auth;

/**
 * A credential that does not prove who the caller is: no token, a malformed, forged, expired or
 * revoked one, a wrong password, a password sign-in refused by {@link SignInThrottle}. The message says
 * which, for the client, and never contains the credential itself.
 */
public class AuthenticationException extends Exception {
  public AuthenticationException(String message) {
    super(message, null, false, false); // no stack trace: this is an answer, not a fault
  }
}
