package io.rrdflight.sql.view;

import java.util.Comparator;
import java.util.List;

/**
 * Rerun's column order (re_chunk_store {@code ChunkStore::schema}, 0.27.3): components by entity
 * path, then archetype (absent first), component, component type. Entity paths compare part by
 * part: parts starting with {@code __} after all others, otherwise natural order (digit runs by
 * value, letters case-insensitively first, exact case only to break ties).
 */
public final class RerunOrder {
  private RerunOrder() {}

  public static final Comparator<ComponentColumn> COMPONENTS = Comparator
      .comparing(ComponentColumn::entityPath, RerunOrder::compareEntityPaths)
      .thenComparing(c -> c.archetype().orElse(""))
      .thenComparing(ComponentColumn::component)
      .thenComparing(c -> c.componentType().orElse(""));

  public static int compareEntityPaths(String a, String b) {
    List<String> pa = parts(a);
    List<String> pb = parts(b);
    for (int i = 0; i < Math.min(pa.size(), pb.size()); i++) {
      int c = comparePart(pa.get(i), pb.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pa.size(), pb.size());
  }

  private static List<String> parts(String path) {
    return java.util.Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
  }

  private static int comparePart(String a, String b) {
    boolean ua = a.startsWith("__");
    boolean ub = b.startsWith("__");
    if (ua != ub) {
      return ua ? 1 : -1;
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
        int si = i;
        int sj = j;
        while (i < a.length() && Character.isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && Character.isDigit(b.charAt(j))) {
          j++;
        }
        int c = new java.math.BigInteger(a.substring(si, i)).compareTo(new java.math.BigInteger(b.substring(sj, j)));
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
