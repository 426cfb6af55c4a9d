package io.rrdflight.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rrdflight.rrd.StoreKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recordings whose columns of one name hold different types, registered into one dataset. */
class SchemaConflictsTest {
  @TempDir Path dataDir;
  @TempDir Path files;

  private static final Map<String, ArrowType> ITEM_TYPES = Map.of("int32", new ArrowType.Int(32, true), "int64", new ArrowType.Int(64, true),
      "null", ArrowType.Null.INSTANCE, "structF", ArrowType.Struct.INSTANCE, "structS", ArrowType.Struct.INSTANCE);
  /** The one field of each struct kind: structs that gain each other's fields. */
  private static final Map<String, Field> STRUCT_FIELDS = Map.of(
      "structF", new Field("f", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null),
      "structS", new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null));

  /** A file's text names its recording and the item type of its one column, /data:value: {@code rec0 int32}. */
  private static final RecordingIndexer BY_TEXT = (recording, kind) -> {
    String[] words = Files.readString(Path.of(recording.name())).trim().split(" ");
    if (kind != StoreKind.RECORDING) {
      return List.of();
    }
    DatasetSchema schema = new DatasetSchema(List.of(), List.of(new DatasetSchema.ComponentColumn("/data", "value", Optional.empty(),
        Optional.empty(), list(new Field("item", FieldType.nullable(ITEM_TYPES.get(words[1])),
            STRUCT_FIELDS.containsKey(words[1]) ? List.of(STRUCT_FIELDS.get(words[1])) : null)), false, false, false)));
    return List.of(new IndexedRecording(words[0], "app", 1, 3, 100, words[0].getBytes(), schema));
  };

  private static Field list(Field item) {
    return new Field("value", FieldType.nullable(new ArrowType.List()), List.of(item));
  }

  private DataSource file(String name, String text) throws Exception {
    return DataSource.of(Files.writeString(files.resolve(name), text).toUri().toString(), null);
  }

  private static String itemType(Catalog c, EntryId dataset) {
    return ColumnTypes.text(c.datasetSchema(dataset).components().get(0).field());
  }

  @Test
  void aRecordingWhoseColumnDoesNotMergeFailsAloneAndTheDatasetKeepsItsType() throws Exception {
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      EntryId d = c.createDataset("d").id();
      assertEquals(TaskStatus.SUCCESS, c.register(d, file("a.rrd", "rec0 int32"), OnDuplicate.ERROR, Duration.ofSeconds(30)).status());
      Task refused = c.register(d, file("b.rrd", "rec1 int64"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      assertEquals(TaskStatus.FAILED, refused.status());
      assertTrue(refused.message().startsWith("schema incompatibility on segment 'rec1', layer 'base': column /data:value is "
          + "List<Int(32, true)> in the dataset but List<Int(64, true)> here ("), refused.message());
      assertEquals(TaskStatus.SUCCESS, c.register(d, file("c.rrd", "rec2 null"), OnDuplicate.ERROR, Duration.ofSeconds(30)).status(),
          "an all-null column merges with any type");
      assertEquals(List.of("rec0", "rec2"), c.partitions(d).stream().map(Partition::partitionId).toList());
      assertEquals("List<Int(32, true)>", itemType(c, d));
    }
  }

  @Test
  void aRecordingThatReplacesOneIsCheckedAgainstTheOthersButNotAgainstWhatItReplaces() throws Exception {
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      EntryId d = c.createDataset("d").id();
      c.register(d, file("a.rrd", "rec0 int32"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      c.register(d, file("b.rrd", "rec1 int32"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      Task overwrite = c.register(d, file("c.rrd", "rec1 int64"), OnDuplicate.OVERWRITE, Duration.ofSeconds(30));
      assertEquals(TaskStatus.FAILED, overwrite.status(), "rec0 still holds Int32");
      assertTrue(overwrite.message().startsWith("schema incompatibility on segment 'rec1'"), overwrite.message());
      assertEquals("List<Int(32, true)>", itemType(c, d));

      EntryId alone = c.createDataset("alone").id();
      c.register(alone, file("d.rrd", "rec0 int32"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      assertEquals(TaskStatus.SUCCESS, c.register(alone, file("e.rrd", "rec0 int64"), OnDuplicate.OVERWRITE, Duration.ofSeconds(30)).status(),
          "the only recording of its column may change its type");
      assertEquals("List<Int(64, true)>", itemType(c, alone));
    }
  }

  @Test
  void aSyncedFileThatChangedTypeIsCheckedAgainstTheDirectorysOtherFiles() throws Exception {
    Path dir = Files.createDirectory(files.resolve("runs"));
    Files.writeString(dir.resolve("a.rrd"), "rec0 int32");
    Files.writeString(dir.resolve("b.rrd"), "rec1 int32");
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      c.syncDirectory("runs", dir, Duration.ofSeconds(30));
      Files.writeString(dir.resolve("b.rrd"), "rec1 int64 (rewritten)");
      List<Task> resync = c.syncDirectory("runs", dir, Duration.ofSeconds(30));
      assertEquals(List.of(TaskStatus.FAILED), resync.stream().map(Task::status).toList());
      assertEquals("List<Int(32, true)>", itemType(c, c.datasetNamed("runs").id()));
    }
  }

  @Test
  void theDatasetsColumnsDoNotDependOnWhoWorkedThemOut() throws Exception {
    String remembered;
    EntryId d;
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      d = c.createDataset("d").id();
      c.register(d, file("z.rrd", "zzz structS"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      c.register(d, file("a.rrd", "aaa structF"), OnDuplicate.ERROR, Duration.ofSeconds(30));
      remembered = itemType(c, d);
    }
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      assertEquals(remembered, itemType(c, d), "worked out again from the stored partitions after a restart");
    }
  }

  @Test
  void anAllNullColumnTakesTheTypeOfTheNextAndTwoFilesOfOneGroupAreCheckedAgainstEachOther() throws Exception {
    try (Catalog c = Catalog.open(dataDir, BY_TEXT, 1)) {
      EntryId d = c.createDataset("d").id();
      assertEquals(TaskStatus.SUCCESS, c.register(d, file("n.rrd", "rec0 null"), OnDuplicate.ERROR, Duration.ofSeconds(30)).status());
      List<Task> group = c.submit(d, List.of(file("a.rrd", "rec1 int64"), file("b.rrd", "rec2 int32")), OnDuplicate.ERROR);
      List<Task> done = c.awaitFinished(group.stream().map(Task::id).toList(), Duration.ofSeconds(30));
      assertEquals(1, done.stream().filter(t -> t.status() == TaskStatus.FAILED).count(), done.toString());
      assertEquals(2, c.partitions(d).size());
      String kept = itemType(c, d);
      assertTrue(kept.equals("List<Int(64, true)>") || kept.equals("List<Int(32, true)>"), kept);
    }
  }

  @Test
  void columnsMergeAsRerunsServerMergesThem() {
    Field int32 = new Field("item", FieldType.nullable(new ArrowType.Int(32, true)), null);
    Field float64 = new Field("f", FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)), null);
    Field text = new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
    Field struct = new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(float64));
    Field wider = new Field("item", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(float64, text));
    assertTrue(ColumnTypes.mergeable(list(struct), list(wider)), "a struct gains fields");
    assertTrue(ColumnTypes.mergeable(list(int32), list(new Field("item", FieldType.notNullable(new ArrowType.Int(32, true)), null))),
        "a list's items may change nullability");
    Field fixed = new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)), List.of(int32));
    Field fixedNotNull = new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(3)), List.of(
        new Field("item", FieldType.notNullable(new ArrowType.Int(32, true)), null)));
    assertFalse(ColumnTypes.mergeable(list(fixed), list(fixedNotNull)), "a fixed-size list's items may not");
    assertFalse(ColumnTypes.mergeable(list(fixed), list(new Field("item", FieldType.nullable(new ArrowType.FixedSizeList(4)), List.of(int32)))));
    Field union = new Field("item", FieldType.nullable(new ArrowType.Union(UnionMode.Dense, new int[] {0, 1})), List.of(float64, text));
    Field otherUnion = new Field("item", FieldType.nullable(new ArrowType.Union(UnionMode.Dense, new int[] {0, 1})), List.of(text, float64));
    assertTrue(ColumnTypes.mergeable(list(union), list(union)));
    assertFalse(ColumnTypes.mergeable(list(union), list(otherUnion)), "unions only when identical");
    assertFalse(ColumnTypes.sameValueTypes(list(struct), list(wider)), "copying needs the very same fields");
  }
}
