package io.rrdflight.server.auth;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Guards password sign-ins, the one credential check that is slow on purpose (PBKDF2, a few tenths of
 * a second of CPU): without a guard a client could keep every core busy with wrong passwords, or try
 * passwords as fast as the cores allow.
 *
 * <ul>
 *   <li>At most {@code concurrent} checks run at once; a sign-in waits up to {@code queueWait} for a
 *       turn, then is refused. Bearer tokens never wait here: they cost microseconds.
 *   <li>After {@link #NAME_FAILURES} failures in a row for one user name, or {@link #PEER_FAILURES} from
 *       one address, further sign-ins for it are refused without a check for a while that doubles with
 *       each further failure (1 s, 2 s, 4 s, … up to {@link #MAX_LOCK}); a success clears the count.
 *       Locking by name lets a stranger delay one user's password sign-ins (never their tokens); that is
 *       the usual price for stopping guesses spread over many addresses.
 *   <li>A check in progress counts as a failure until it ends: otherwise a burst of simultaneous
 *       guesses for one name would all pass the lock before the first of them failed, and each run a
 *       full check. So at most {@link #NAME_FAILURES} checks of one name (and {@link #PEER_FAILURES}
 *       from one address) are ever under way or failed before it locks, whatever the concurrency.
 * </ul>
 *
 * <p>The failure counts are kept for at most {@link #MAX_TRACKED} names and addresses (the least
 * recently failed are forgotten first), so a flood of made-up names cannot grow the server's memory.
 */
final class SignInThrottle {
  static final int NAME_FAILURES = 5;
  static final int PEER_FAILURES = 20;
  static final Duration MAX_LOCK = Duration.ofMinutes(5);
  static final int MAX_TRACKED = 10_000;

  private final Clock clock;
  private final Semaphore turns;
  private final Duration queueWait;
  private final Map<String, Failures> failures = new LeastRecentlyUsed<>(MAX_TRACKED);
  /** Checks under way per name and address (guarded by {@code failures}); at most {@code concurrent} entries. */
  private final Map<String, Integer> underWay = new HashMap<>();

  SignInThrottle(Clock clock, int concurrent, Duration queueWait) {
    this.clock = requireNonNull(clock, "clock is null");
    if (concurrent <= 0) {
      throw new IllegalArgumentException("concurrent must be positive: " + concurrent);
    }
    this.turns = new Semaphore(concurrent, true);
    this.queueWait = requireNonNull(queueWait, "queueWait is null");
  }

  /** Two checks at once: a burst of sign-ins keeps the other cores for queries. */
  static SignInThrottle standard(Clock clock) {
    return new SignInThrottle(clock, 2, Duration.ofSeconds(5));
  }

  /** What a password check is: it throws {@link AuthenticationException} when the password is wrong. */
  interface Check {
    Caller run() throws AuthenticationException;
  }

  /**
   * Runs {@code check} for {@code name} signing in from {@code peer} (an address without its port),
   * unless either is locked or no turn frees up in time; counts the outcome.
   */
  Caller signIn(String name, String peer, Check check) throws AuthenticationException {
    requireNonNull(name, "name is null");
    requireNonNull(peer, "peer is null");
    refuseIfLocked("user '" + name + "'", nameKey(name));
    refuseIfLocked("this address", peerKey(peer));
    boolean turn;
    try {
      turn = turns.tryAcquire(queueWait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      turn = false;
    }
    if (!turn) {
      throw new SignInRefused("too many password sign-ins at once; try again in a few seconds");
    }
    try {
      // Checked again now: failures counted while this sign-in waited for its turn may have locked it.
      reserve(name, peer);
    } catch (SignInRefused refused) {
      turns.release();
      throw refused;
    }
    try {
      Caller caller = check.run();
      succeeded(name, peer);
      return caller;
    } catch (AuthenticationException wrong) {
      failed(name, peer);
      throw wrong;
    } finally {
      release(name, peer);
      turns.release();
    }
  }

  /**
   * Counts a check of {@code name} from {@code peer} as under way, unless either is locked or the
   * checks under way, were they all to fail, would lock it; then the check must not start.
   */
  private void reserve(String name, String peer) throws SignInRefused {
    synchronized (failures) {
      refuseIfLocked("user '" + name + "'", nameKey(name));
      refuseIfLocked("this address", peerKey(peer));
      refuseIfBusy("user '" + name + "'", nameKey(name), NAME_FAILURES);
      refuseIfBusy("this address", peerKey(peer), PEER_FAILURES);
      underWay.merge(nameKey(name), 1, Integer::sum);
      underWay.merge(peerKey(peer), 1, Integer::sum);
    }
  }

  /** Refuses when the failures so far plus the checks under way reach {@code threshold}; past it, one check at a time. */
  private void refuseIfBusy(String who, String key, int threshold) throws SignInRefused {
    Failures f = failures.get(key);
    int failed = f == null ? 0 : f.count();
    if (underWay.getOrDefault(key, 0) >= Math.max(1, threshold - failed)) {
      throw new SignInRefused("too many sign-ins for " + who + " under way; try again in a few seconds");
    }
  }

  private void release(String name, String peer) {
    synchronized (failures) {
      underWay.computeIfPresent(nameKey(name), (k, n) -> n == 1 ? null : n - 1);
      underWay.computeIfPresent(peerKey(peer), (k, n) -> n == 1 ? null : n - 1);
    }
  }

  private void refuseIfLocked(String who, String key) throws SignInRefused {
    Instant until;
    synchronized (failures) {
      Failures f = failures.get(key);
      until = f == null ? null : f.lockedUntil();
    }
    Instant now = clock.instant();
    if (until != null && now.isBefore(until)) {
      long seconds = Math.max(1, Duration.between(now, until).toSeconds() + 1);
      throw new SignInRefused("too many failed sign-ins for " + who + "; try again in " + seconds + " s");
    }
  }

  private void failed(String name, String peer) {
    Instant now = clock.instant();
    synchronized (failures) {
      failures.merge(nameKey(name), Failures.first(now, NAME_FAILURES), (old, x) -> old.next(now, NAME_FAILURES));
      failures.merge(peerKey(peer), Failures.first(now, PEER_FAILURES), (old, x) -> old.next(now, PEER_FAILURES));
    }
  }

  private void succeeded(String name, String peer) {
    synchronized (failures) {
      failures.remove(nameKey(name));
      failures.remove(peerKey(peer));
    }
  }

  private static String nameKey(String name) {
    return "user:" + name;
  }

  private static String peerKey(String peer) {
    return "peer:" + peer;
  }

  /** Failures in a row, and until when sign-ins are refused (null: not locked). */
  record Failures(int count, Instant lockedUntil) {
    static Failures first(Instant now, int threshold) {
      return new Failures(0, null).next(now, threshold);
    }

    Failures next(Instant now, int threshold) {
      int n = count + 1;
      if (n < threshold) {
        return new Failures(n, null);
      }
      int doublings = Math.min(n - threshold, 20);
      Duration lock = Duration.ofSeconds(1L << doublings);
      return new Failures(n, now.plus(lock.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : lock));
    }
  }

  /** A sign-in refused before its password was looked at. */
  static final class SignInRefused extends AuthenticationException {
    SignInRefused(String message) {
      super(message);
    }
  }
}
