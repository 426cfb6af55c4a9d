package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.rrdflight.server.auth.AuthStore.UserRecord;
import java.io.IOException;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;

/**
 * Turns the {@code authorization} header of a call into a {@link Caller}, for both doors: {@code Bearer}
 * tokens (rerun-sdk, ADBC, the JDBC driver's {@code token=}), and {@code Basic} name and password
 * (the Flight handshake of the JDBC driver, DBeaver and ADBC's {@code username}), which are answered
 * with a session token to use from then on. Owns its {@link AuthStore}: the data dir's, or the fleet's.
 */
public final class Authenticator implements AutoCloseable {
  /** How long the token a password handshake returns stays good: a working day of a DBeaver session. */
  static final Duration SESSION_LIFETIME = Duration.ofHours(12);

  private final AuthStore store;
  private final Tokens tokens;
  private final Users users;
  private final SignInThrottle throttle;

  Authenticator(AuthStore store, Tokens tokens, Users users, SignInThrottle throttle) {
    this.store = requireNonNull(store, "store is null");
    this.tokens = requireNonNull(tokens, "tokens is null");
    this.users = requireNonNull(users, "users is null");
    this.throttle = requireNonNull(throttle, "throttle is null");
  }

  /** The authenticator of {@code dataDir}, creating its key and store on first use. */
  public static Authenticator open(Path dataDir) throws IOException {
    return open(AuthStore.open(dataDir));
  }

  /** The authenticator of {@code store} (which it closes), creating the store's key on first use. */
  public static Authenticator open(AuthStore store) throws IOException {
    ServerKey key;
    try {
      key = store.serverKey();
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    Clock clock = Clock.systemUTC();
    return new Authenticator(store, new Tokens(key, store, clock), new Users(store, clock), SignInThrottle.standard(clock));
  }

  public Tokens tokens() {
    return tokens;
  }

  public Users users() {
    return users;
  }

  /** The caller a bearer token stands for. */
  public Caller bearer(String token) throws AuthenticationException {
    return tokens.verify(token, users);
  }

  /**
   * The caller a {@code Basic} credential (base64 of {@code name:password}) stands for, signing in from
   * {@code peer} (an address, without its port): throttled, see {@link SignInThrottle}.
   */
  public Caller basic(String credential, String peer) throws AuthenticationException {
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(credential.trim());
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("Basic credential is not base64");
    }
    CharBuffer chars = StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(decoded));
    Arrays.fill(decoded, (byte) 0);
    char[] all = new char[chars.remaining()];
    chars.get(all);
    Arrays.fill(chars.array(), '\0');
    int colon = indexOf(all, ':');
    if (colon < 0) {
      Arrays.fill(all, '\0');
      throw new AuthenticationException("Basic credential is not name:password");
    }
    String name = new String(all, 0, colon);
    char[] password = Arrays.copyOfRange(all, colon + 1, all.length);
    Arrays.fill(all, '\0');
    try {
      return throttle.signIn(name, peer, () -> users.verify(name, password));
    } finally {
      Arrays.fill(password, '\0'); // also when the throttle refused before the check
    }
  }

  private static int indexOf(char[] chars, char wanted) {
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] == wanted) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A session token for a user who just proved their password, bound to their record as it is now;
   * refused when the user is gone already.
   */
  public String sessionToken(Caller user) throws AuthenticationException {
    requireNonNull(user, "user is null");
    UserRecord record = users.signedIn(user.name())
        .orElseThrow(() -> new AuthenticationException("user '" + user.name() + "' was removed while signing in"));
    return tokens.issueSession(record, SESSION_LIFETIME);
  }

  @Override
  public void close() {
    store.close();
  }
}
