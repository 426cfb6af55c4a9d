package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.server.auth.SignInThrottle.SignInRefused;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SignInThrottleTest {
  static final Caller DORA = new Caller("dora", Role.READER, "user");
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final SignInThrottle throttle = new SignInThrottle(clock, 2, Duration.ofMillis(200));
  final AtomicInteger checks = new AtomicInteger();

  SignInThrottle.Check wrong() {
    return () -> {
      checks.incrementAndGet();
      throw new AuthenticationException("wrong user name or password");
    };
  }

  SignInThrottle.Check right() {
    return () -> {
      checks.incrementAndGet();
      return DORA;
    };
  }

  @Test
  void fifthWrongPasswordLocksTheNameWithoutCheckingFurtherPasswords() throws Exception {
    for (int i = 0; i < SignInThrottle.NAME_FAILURES; i++) {
      AuthenticationException e = assertThrows(AuthenticationException.class, () -> throttle.signIn("dora", "10.0.0.1", wrong()));
      assertEquals("wrong user name or password", e.getMessage());
    }
    SignInRefused locked = assertThrows(SignInRefused.class, () -> throttle.signIn("dora", "10.0.0.2", right()));
    assertTrue(locked.getMessage().contains("too many failed sign-ins for user 'dora'"), locked.getMessage());
    assertEquals(SignInThrottle.NAME_FAILURES, checks.get(), "the locked sign-in ran no password check");
    // another user from the same address is not affected
    assertEquals(DORA, throttle.signIn("eve", "10.0.0.1", right()));
  }

  @Test
  void lockDoublesWithEachFurtherFailureAndASuccessClearsIt() throws Exception {
    for (int i = 0; i < SignInThrottle.NAME_FAILURES; i++) {
      assertThrows(AuthenticationException.class, () -> throttle.signIn("dora", "10.0.0.1", wrong()));
    }
    clock.advance(Duration.ofMillis(1_100)); // the first lock: 1 s
    assertThrows(AuthenticationException.class, () -> throttle.signIn("dora", "10.0.0.1", wrong()));
    clock.advance(Duration.ofMillis(1_100)); // now 2 s: still locked
    SignInRefused locked = assertThrows(SignInRefused.class, () -> throttle.signIn("dora", "10.0.0.1", right()));
    assertTrue(locked.getMessage().contains("try again in 1 s"), locked.getMessage());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(DORA, throttle.signIn("dora", "10.0.0.1", right()));
    assertThrows(AuthenticationException.class, () -> throttle.signIn("dora", "10.0.0.1", wrong()));
    assertEquals(DORA, throttle.signIn("dora", "10.0.0.1", right()), "one failure after a success does not lock");
  }

  @Test
  void manyNamesFromOneAddressLockTheAddress() throws Exception {
    for (int i = 0; i < SignInThrottle.PEER_FAILURES; i++) {
      String name = "guess" + i;
      assertThrows(AuthenticationException.class, () -> throttle.signIn(name, "10.0.0.9", wrong()));
    }
    SignInRefused locked = assertThrows(SignInRefused.class, () -> throttle.signIn("dora", "10.0.0.9", right()));
    assertTrue(locked.getMessage().contains("for this address"), locked.getMessage());
    assertEquals(DORA, throttle.signIn("dora", "10.0.0.10", right()), "other addresses sign in");
  }

  @Test
  void lockNeverExceedsTheMaximum() {
    SignInThrottle.Failures f = SignInThrottle.Failures.first(clock.instant(), 1);
    for (int i = 0; i < 100; i++) {
      f = f.next(clock.instant(), 1);
    }
    assertEquals(clock.instant().plus(SignInThrottle.MAX_LOCK), f.lockedUntil());
  }

  @Test
  void checksBeyondTheConcurrencyWaitThenAreRefused() throws Exception {
    CountDownLatch inside = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    SignInThrottle.Check slow = () -> {
      inside.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return DORA;
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Caller> a = pool.submit(() -> throttle.signIn("a", "10.0.0.1", slow));
      Future<Caller> b = pool.submit(() -> throttle.signIn("b", "10.0.0.2", slow));
      inside.await();
      SignInRefused busy = assertThrows(SignInRefused.class, () -> throttle.signIn("c", "10.0.0.3", right()));
      assertTrue(busy.getMessage().contains("too many password sign-ins at once"), busy.getMessage());
      release.countDown();
      assertEquals(DORA, a.get());
      assertEquals(DORA, b.get());
      assertEquals(DORA, throttle.signIn("c", "10.0.0.3", right()), "a turn is free again");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void simultaneousGuessesForOneNameRunNoMoreChecksThanTheLockAllows() throws Exception {
    SignInThrottle patient = new SignInThrottle(clock, 2, Duration.ofSeconds(5)); // every guess gets a turn
    SignInThrottle.Check slowWrong = () -> {
      checks.incrementAndGet();
      try {
        Thread.sleep(100); // a PBKDF2 check
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new AuthenticationException("wrong user name or password");
    };
    ExecutorService pool = Executors.newFixedThreadPool(40);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> guesses = new ArrayList<>();
    try {
      for (int i = 0; i < 40; i++) {
        String peer = "10.0.0." + i; // spread over addresses, so only the name's lock can stop them
        guesses.add(pool.submit(() -> {
          go.await();
          assertThrows(AuthenticationException.class, () -> patient.signIn("dora", peer, slowWrong));
          return null;
        }));
      }
      go.countDown();
      for (Future<?> guess : guesses) {
        guess.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(SignInThrottle.NAME_FAILURES, checks.get(), "password checks run for one name in one burst");
    assertThrows(SignInRefused.class, () -> patient.signIn("dora", "10.0.1.1", right()), "the name is locked now");
  }
}
