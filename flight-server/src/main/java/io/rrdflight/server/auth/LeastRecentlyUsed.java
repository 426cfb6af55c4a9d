package io.rrdflight.server.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map of at most {@code bound} entries that forgets the least recently used one first: what the auth
 * layer keeps per key a client chooses (token ids, user names, addresses), so that a stream of distinct
 * keys cannot grow the server's memory. Not thread-safe: its owner guards it.
 */
final class LeastRecentlyUsed<K, V> extends LinkedHashMap<K, V> {
  private static final long serialVersionUID = 1L;

  private final int bound;

  LeastRecentlyUsed(int bound) {
    super(64, 0.75f, true);
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    this.bound = bound;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    return size() > bound;
  }
}
