package io.rrdflight.sql.engine;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Not a test: the CPU of CellCopier on a points chunk (10k rows x 8 points, positions and colors)
 * that latest-at fill repeats on every other row, per-cell repeat against repeatEach, alternating in
 * one JVM (so a busy machine affects both alike). See ../README.md, "Where the filled view's CPU
 * goes".
 *
 *   javac -cp flight-server/target/rrdflight.jar -d /tmp/copybench scripts/bench/sql/CopyBench.java
 *   java --add-opens=java.base/java.nio=ALL-UNNAMED -cp /tmp/copybench:flight-server/target/rrdflight.jar io.rrdflight.sql.engine.CopyBench
 */
public class CopyBench {
  public static void main(String[] args) {
    Field pos = new Field("p", FieldType.nullable(new ArrowType.List()), List.of(new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)),
        List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)), null)))));
    Field col = new Field("c", FieldType.nullable(new ArrowType.List()), List.of(new Field("item", FieldType.nullable(new ArrowType.Int(32, false)), null)));
    int rows = 10_000;
    try (BufferAllocator a = new RootAllocator(); ListVector p = (ListVector) pos.createVector(a); ListVector c = (ListVector) col.createVector(a);
         ListVector po = (ListVector) pos.createVector(a); ListVector co = (ListVector) col.createVector(a)) {
      p.allocateNew(); c.allocateNew();
      FixedSizeListVector f = (FixedSizeListVector) p.getDataVector(); Float4Vector x = (Float4Vector) f.getDataVector();
      UInt4Vector u = (UInt4Vector) c.getDataVector();
      int v = 0;
      for (int r = 0; r < rows; r++) {
        p.startNewValue(r); c.startNewValue(r);
        for (int k = 0; k < 8; k++, v++) {
          f.startNewValue(v); x.setSafe(v * 3, v); x.setSafe(v * 3 + 1, -v); x.setSafe(v * 3 + 2, v / 2f);
          u.setSafe(v, v * 7);
        }
        p.endValue(r, 8); c.endValue(r, 8);
      }
      x.setValueCount(v * 3); f.setValueCount(v); u.setValueCount(v); p.setValueCount(rows); c.setValueCount(rows);
      var bean = ManagementFactory.getThreadMXBean();
      long[] cpu = new long[2];
      for (int round = 0; round < 60; round++) {
        for (int mode = 0; mode < 2; mode++) {
          long t0 = bean.getCurrentThreadCpuTime();
          for (int it = 0; it < 10; it++) {
            for (var pair : List.of(new ListVector[] {p, po}, new ListVector[] {c, co})) {
              CellCopier copier = new CellCopier(pair[1], 2 * rows);
              if (mode == 0) {
                for (int r = 0; r < rows; r++) copier.repeat(pair[0], r, 2);
              } else {
                copier.repeatEach(pair[0], 0, rows, 2);
              }
              copier.write();
            }
          }
          if (round >= 20) cpu[mode] += bean.getCurrentThreadCpuTime() - t0;
        }
      }
      System.out.printf("CPU per batch of 20k rows (positions + colors): per-cell repeat %.2f ms, repeatEach %.2f ms%n",
          cpu[0] / 400.0 / 1e6, cpu[1] / 400.0 / 1e6);
      if (!String.valueOf(po.getObject(3)).equals(String.valueOf(p.getObject(1)))) throw new AssertionError();
    }
  }
}
