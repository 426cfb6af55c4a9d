package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rrdflight.rrd.Timeline;
import io.rrdflight.rrd.TimelineKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;

/** Rerun's entity-path order (query-semantics.md §6.2), and that dataset schemas use it. */
class EntityPathOrderTest {
  private static List<String> sorted(String... paths) {
    List<String> out = new ArrayList<>(List.of(paths));
    out.sort(EntityPathOrder.INSTANCE);
    return out;
  }

  @Test
  void digitRunsCompareByValue() {
    assertEquals(List.of("/obj1", "/obj2", "/obj10"), sorted("/obj10", "/obj2", "/obj1"));
  }

  @Test
  void lettersCompareCaseInsensitivelyThenByCase() {
    assertEquals(List.of("/a", "/B", "/b", "/c"), sorted("/c", "/b", "/B", "/a"));
  }

  @Test
  void reservedPartsSortAfterAllOthers() {
    assertEquals(List.of("/logs", "/zeta", "/__properties", "/__properties/sub"), sorted("/__properties/sub", "/zeta", "/__properties", "/logs"));
  }

  @Test
  void aPathSortsBeforeItsDescendants() {
    assertEquals(List.of("/world", "/world/a", "/world/a/b", "/world/c"), sorted("/world/c", "/world/a/b", "/world", "/world/a"));
  }

  @Test
  void datasetSchemaComponentsFollowRerunsEntityOrder() {
    Field f64 = new Field("x", FieldType.nullable(new ArrowType.List()),
        List.of(Field.nullable("item", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    List<DatasetSchema.ComponentColumn> columns = new ArrayList<>();
    for (String path : List.of("/__properties", "/obj10", "/Obj2", "/logs")) {
      columns.add(new DatasetSchema.ComponentColumn(path, "Scalars:scalars", Optional.empty(), Optional.empty(), f64, false, false, false));
    }
    DatasetSchema schema = new DatasetSchema(List.of(new Timeline("frame", TimelineKind.SEQUENCE)), columns);
    assertEquals(List.of("/logs", "/Obj2", "/obj10", "/__properties"),
        schema.components().stream().map(DatasetSchema.ComponentColumn::entityPath).toList());
  }
}
