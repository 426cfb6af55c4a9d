package io.rrdflight.server.redap;

import io.rrdflight.catalog.Partition;
import io.rrdflight.catalog.Task;
import io.rrdflight.catalog.TaskStatus;
import io.rrdflight.rrd.proto.DataframePart;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Registration tasks as Rerun's task table. The SDK checks that an answer's schema contains exactly
 * these 11 fields, in this order, with these types and nullability, before it reads exec_status
 * ("success" is the only state it accepts as done) and msgs (shown for every other state).
 */
final class TaskTable {
  private static final ArrowType UTF8 = ArrowType.Utf8.INSTANCE;
  private static final ArrowType TIMESTAMP_NS = new ArrowType.Timestamp(TimeUnit.NANOSECOND, null);

  static final Schema SCHEMA = schema(Vocabulary.PARTITIONS);

  /** 0.28+ clients read the task's blob itself where 0.27 read its length. */
  static Schema schema(Vocabulary vocabulary) {
    return new Schema(List.of(
      field("task_id", UTF8, false),
      field("kind", UTF8, true),
      field("data", UTF8, true),
      field("exec_status", UTF8, false),
      field("msgs", UTF8, true),
      vocabulary.segments() ? field("blob", ArrowType.Binary.INSTANCE, true) : field("blob_len", new ArrowType.Int(64, false), true),
      field("lease_owner", UTF8, true),
      field("lease_expiration", TIMESTAMP_NS, true),
      field("attempts", new ArrowType.Int(8, false), false),
      field("creation_time", TIMESTAMP_NS, true),
      field("last_update_time", TIMESTAMP_NS, true)));
  }

  /** What kind of work our tasks do; Rerun's server leaves the column null. */
  static final String KIND_REGISTER = "register";

  private TaskTable() {}

  private static Field field(String name, ArrowType type, boolean nullable) {
    return new Field(name, nullable ? FieldType.nullable(type) : FieldType.notNullable(type), null);
  }

  /** A task that finished in the call that made it (see {@link SegmentsWire#DONE_TASK_ID}). */
  static Task done(String id) {
    java.time.Instant now = java.time.Instant.now();
    return new Task(id, new io.rrdflight.catalog.EntryId(0, 0), java.net.URI.create("rrdflight:done"), Partition.DEFAULT_LAYER,
        TaskStatus.SUCCESS, null, List.of(), now, now);
  }

  static DataframePart batch(List<Task> tasks, Vocabulary vocabulary, BufferAllocator allocator) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema(vocabulary), allocator)) {
      root.allocateNew();
      VarCharVector id = (VarCharVector) root.getVector("task_id");
      VarCharVector kind = (VarCharVector) root.getVector("kind");
      VarCharVector data = (VarCharVector) root.getVector("data");
      VarCharVector status = (VarCharVector) root.getVector("exec_status");
      VarCharVector msgs = (VarCharVector) root.getVector("msgs");
      UInt1Vector attempts = (UInt1Vector) root.getVector("attempts");
      TimeStampNanoVector created = (TimeStampNanoVector) root.getVector("creation_time");
      TimeStampNanoVector updated = (TimeStampNanoVector) root.getVector("last_update_time");
      for (int row = 0; row < tasks.size(); row++) {
        Task t = tasks.get(row);
        id.setSafe(row, utf8(t.id()));
        kind.setSafe(row, utf8(KIND_REGISTER));
        // What was registered, so a failed task's row says which file it was about.
        data.setSafe(row, utf8(t.source() + " (layer " + t.layer() + ")"));
        status.setSafe(row, utf8(t.status().word()));
        if (t.message() != null) {
          msgs.setSafe(row, utf8(t.message()));
        } else if (t.status() == TaskStatus.PENDING || t.status() == TaskStatus.RUNNING) {
          msgs.setSafe(row, utf8("still " + t.status().word() + ": " + t.source()));
        }
        attempts.setSafe(row, t.status() == TaskStatus.PENDING ? 0 : 1);
        created.setSafe(row, ProtoValues.epochNanos(t.createdAt()));
        updated.setSafe(row, ProtoValues.epochNanos(t.updatedAt()));
      }
      root.setRowCount(tasks.size());
      return vocabulary.part(root);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
