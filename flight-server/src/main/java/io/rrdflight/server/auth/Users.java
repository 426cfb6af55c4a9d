package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import io.rrdflight.server.auth.AuthStore.UserRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** People who sign in with a name and password: DBeaver and other JDBC tools, through Flight's handshake. */
public final class Users {
  /** Checked against when the user does not exist, so that a wrong name takes as long as a wrong password. */
  private static final PasswordHash NOBODY = PasswordHash.of("no such user".toCharArray());

  private final AuthStore store;
  private final Clock clock;

  Users(AuthStore store, Clock clock) {
    this.store = requireNonNull(store, "store is null");
    this.clock = requireNonNull(clock, "clock is null");
  }

  /** Adds a user; throws {@link IllegalArgumentException} when the name is taken or the password empty. */
  public void add(String name, Role role, char[] password) {
    requireNonNull(name, "name is null");
    requireNonNull(role, "role is null");
    if (name.isBlank() || name.contains(":")) {
      throw new IllegalArgumentException("a user name must be non-empty and without ':' (Basic auth splits on it)");
    }
    if (password.length == 0) {
      throw new IllegalArgumentException("the password is empty");
    }
    store.addUser(new UserRecord(name, role, PasswordHash.of(password), clock.instant()));
  }

  public boolean remove(String name) {
    return store.removeUser(name);
  }

  /** A user as listed: never the password hash. */
  public record Listed(String name, Role role, Instant createdAt) {}

  public List<Listed> list() {
    return store.users().stream().map(u -> new Listed(u.name(), u.role(), u.createdAt())).toList();
  }

  /** The current record of a user named by a session token (cached; see {@link AuthStore#sessionUser}). */
  Optional<UserRecord> sessionUser(String name) {
    return store.sessionUser(name);
  }

  /** The current record of a user who just signed in (read now, as {@link #verify} read it). */
  Optional<UserRecord> signedIn(String name) {
    return store.user(name);
  }

  Caller verify(String name, char[] password) throws AuthenticationException {
    try {
      Optional<UserRecord> user = store.user(name);
      if (user.isEmpty()) {
        NOBODY.matches(password); // the same work as for a real user; the answer is no either way
        throw new AuthenticationException("wrong user name or password");
      }
      if (!user.get().password().matches(password)) {
        throw new AuthenticationException("wrong user name or password");
      }
      return new Caller(name, user.get().role(), "user");
    } finally {
      Arrays.fill(password, '\0');
    }
  }
}
