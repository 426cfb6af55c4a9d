package io.rrdflight.catalog;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;

/**
 * How Rerun orders entity paths (re_log_types {@code EntityPath}'s {@code Ord}, 0.27.3): part by
 * part; parts starting with {@code __} after all others (so {@code /__properties} comes last);
 * otherwise natural order: digit runs by value ({@code /obj2 < /obj10}), letters case-insensitively
 * first and by exact character only to break ties ({@code a < B < b}). A path sorts before its
 * descendants.
 */
public final class EntityPathOrder implements Comparator<String> {
  public static final EntityPathOrder INSTANCE = new EntityPathOrder();

  private EntityPathOrder() {}

  @Override
  public int compare(String a, String b) {
    List<String> pa = EntityPathFilter.parts(a);
    List<String> pb = EntityPathFilter.parts(b);
    for (int i = 0; i < Math.min(pa.size(), pb.size()); i++) {
      int c = comparePart(pa.get(i), pb.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pa.size(), pb.size());
  }

  private static int comparePart(String a, String b) {
    boolean reservedA = a.startsWith("__");
    boolean reservedB = b.startsWith("__");
    if (reservedA != reservedB) {
      return reservedA ? 1 : -1;
    }
    int c = natural(a, b, true);
    return c != 0 ? c : natural(a, b, false);
  }

  private static int natural(String a, String b, boolean ignoreCase) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (Character.isDigit(ca) && Character.isDigit(cb)) {
        int startA = i;
        int startB = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        int c = new BigInteger(a.substring(startA, i)).compareTo(new BigInteger(b.substring(startB, j)));
        if (c != 0) {
          return c;
        }
        continue;
      }
      int c = ignoreCase ? Character.compare(Character.toLowerCase(ca), Character.toLowerCase(cb)) : Character.compare(ca, cb);
      if (c != 0) {
        return c;
      }
      i++;
      j++;
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
