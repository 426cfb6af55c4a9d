package io.rrdflight.rrd;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where each column's field nodes and buffers lie in a record batch body, and the checks that make
 * the body safe to hand to Arrow.
 *
 * <p>Arrow Java trusts its input: negative or oversized lengths and offsets trip its internal
 * assertions, make it allocate what they claim, or surface as out-of-bounds reads in whatever code
 * touches the bad row. So every length is checked here, against the body, before Arrow sees it:
 * {@link #of} checks the structure (counts, lengths, buffer bounds) and runs for every chunk;
 * {@link #checkContents} follows offsets and type ids and runs before vectors are loaded.
 */
final class RecordBatchLayout {
  /**
   * One field of the schema tree and where its node and first buffer are. A dictionary-encoded field
   * is laid out as its indices: {@code field} then has the index type and no children, and
   * {@code dictionary} is the id of the dictionary its indices point into; it is null for a field that
   * is not encoded. No id can stand for "none": a stream may use any, −1 included, and a column whose
   * id looked like "none" would have its indices go unchecked.
   */
  record Column(Field field, int node, int buffer, List<Column> children, Long dictionary) {}

  private final IpcStream ipc;
  private final String file;
  private final long offset;
  private final List<Column> columns;

  private RecordBatchLayout(IpcStream ipc, String file, long offset, List<Column> columns) {
    this.ipc = ipc;
    this.file = file;
    this.offset = offset;
    this.columns = columns;
  }

  Schema schema() {
    return ipc.schema();
  }

  /** The top-level columns, in schema order. */
  List<Column> columns() {
    return columns;
  }

  FieldNode node(Column c) {
    return ipc.batch().nodes(c.node());
  }

  /** The absolute position in {@link IpcStream#data()} of the column's {@code i}-th buffer. */
  int bufferStart(Column c, int i) {
    return ipc.bodyOffset() + (int) ipc.batch().buffers(c.buffer() + i).offset();
  }

  long bufferLength(Column c, int i) {
    return ipc.batch().buffers(c.buffer() + i).length();
  }

  /** Lays out the batch and checks its structure: counts, lengths and buffer bounds. */
  static RecordBatchLayout of(IpcStream ipc, String file, long offset) throws RrdFormatException {
    int[] counters = new int[2];
    List<Column> columns = new ArrayList<>();
    for (Field field : ipc.schema().getFields()) {
      columns.add(flatten(field, counters, file, offset));
    }
    RecordBatchLayout layout = new RecordBatchLayout(ipc, file, offset, columns);
    try {
      layout.checkStructure(counters[0], counters[1]);
    } catch (RuntimeException e) {
      throw layout.flatbufferError(e);
    }
    return layout;
  }

  private static Column flatten(Field field, int[] counters, String file, long offset) throws RrdFormatException {
    if (field.getDictionary() != null) {
      DictionaryEncoding encoding = field.getDictionary();
      Field indices = new Field(field.getName(), new FieldType(field.isNullable(), encoding.getIndexType(), null), List.of());
      Column column = flatten(indices, counters, file, offset);
      return new Column(column.field(), column.node(), column.buffer(), List.of(), encoding.getId());
    }
    if (!decodable(field.getType()) && field.getChildren().stream().anyMatch(RecordBatchLayout::containsDictionary)) {
      throw new RrdFormatException(file, offset, "dictionary-encoded values inside a " + field.getType().getTypeID() + " column are not supported "
          + "(column '" + field.getName() + "')");
    }
    int node = counters[0]++;
    int buffer = counters[1];
    counters[1] += TypeLayout.getTypeBufferCount(field.getType());
    List<Column> children = new ArrayList<>();
    for (Field child : field.getChildren()) {
      children.add(flatten(child, counters, file, offset));
    }
    return new Column(field, node, buffer, children, null);
  }

  /**
   * Whether a column of {@code type} can hold dictionary-encoded values: the nested types whose
   * vectors {@link DictionaryValues} can rebuild around their decoded children ({@link NestedVectors}).
   * Refusing the others here names the layout, where decoding would fail later as if the data were corrupt.
   */
  private static boolean decodable(ArrowType type) {
    return switch (type.getTypeID()) {
      case List, Map, FixedSizeList, Struct -> true;
      default -> false;
    };
  }

  private void checkStructure(int nodeCount, int bufferCount) throws RrdFormatException {
    RecordBatch batch = ipc.batch();
    if (batch.variadicBufferCountsLength() > 0) {
      throw error("record batch uses Arrow view types, which chunks never do");
    }
    if (batch.nodesLength() != nodeCount || batch.buffersLength() != bufferCount) {
      throw error("record batch has " + batch.nodesLength() + " field nodes and " + batch.buffersLength() + " buffers; its schema expects "
          + nodeCount + " and " + bufferCount);
    }
    long rows = batch.length();
    if (rows < 0 || rows > Integer.MAX_VALUE) {
      throw error("record batch has " + rows + " rows");
    }
    for (int i = 0; i < nodeCount; i++) {
      FieldNode node = batch.nodes(i);
      if (node.length() < 0 || node.length() > Integer.MAX_VALUE || node.nullCount() < 0 || node.nullCount() > node.length()) {
        throw error("field node " + i + " has length " + node.length() + " and null count " + node.nullCount());
      }
    }
    for (int i = 0; i < bufferCount; i++) {
      Buffer b = batch.buffers(i);
      if (b.offset() < 0 || b.length() < 0 || b.offset() > ipc.bodyLength() - b.length()) {
        throw error("buffer " + i + " spans bytes " + b.offset() + "+" + b.length() + " of a body of " + ipc.bodyLength());
      }
    }
    for (Column c : columns) {
      if (node(c).length() != rows) {
        throw error("column '" + c.field().getName() + "' has " + node(c).length() + " rows; the record batch has " + rows);
      }
    }
  }

  /** Follows every offset and type id, so that loading and reading the vectors stays in bounds. */
  void checkContents() throws RrdFormatException {
    try {
      for (Column c : columns) {
        check(c);
      }
    } catch (RuntimeException e) {
      throw flatbufferError(e);
    }
    if (!ipc.dictionaries().isEmpty()) {
      dictionaries(ipc, file, offset); // their values are loaded too: checked the same way
    }
  }

  /** Flatbuffer accessors signal offsets that point outside the message with runtime exceptions. */
  private RrdFormatException flatbufferError(RuntimeException e) {
    return new RrdFormatException(file, offset, "corrupt Arrow record batch header (" + e + ")", e);
  }

  private void check(Column c) throws RrdFormatException {
    long length = node(c).length();
    ArrowType type = c.field().getType();
    String name = c.field().getName();
    boolean hasValidity = !(type instanceof ArrowType.Null || type instanceof ArrowType.Union);
    if (hasValidity && (node(c).nullCount() > 0 || bufferLength(c, 0) > 0)) {
      need(c, 0, (length + 7) / 8, "validity bitmap");
    }
    switch (type.getTypeID()) {
      case Null -> { }
      case Bool -> need(c, 1, (length + 7) / 8, "values");
      case Int, FloatingPoint, Timestamp, Duration, Date, Time, Decimal, FixedSizeBinary, Interval ->
          need(c, 1, length * fixedWidth(c), "values");
      case Utf8, Binary -> offsets(c, 1, 4, bufferLength(c, 2), "data bytes");
      case LargeUtf8, LargeBinary -> offsets(c, 1, 8, bufferLength(c, 2), "data bytes");
      case List, Map -> offsets(c, 1, 4, node(c.children().get(0)).length(), "child values");
      case LargeList -> offsets(c, 1, 8, node(c.children().get(0)).length(), "child values");
      case FixedSizeList -> {
        long needed = length * ((ArrowType.FixedSizeList) type).getListSize();
        if (node(c.children().get(0)).length() < needed) {
          throw error("fixed-size list column '" + name + "' needs " + needed + " child values, has " + node(c.children().get(0)).length());
        }
      }
      case Struct -> {
        for (Column child : c.children()) {
          if (node(child).length() < length) {
            throw error("struct column '" + name + "' has " + length + " rows but its field '" + child.field().getName() + "' " + node(child).length());
          }
        }
      }
      case Union -> union(c, (ArrowType.Union) type, length);
      default -> throw error("column '" + name + "' has Arrow type " + type + ", which chunks never use");
    }
    for (Column child : c.children()) {
      check(child);
    }
    if (c.dictionary() != null) {
      indicesInside(c, dictionaryLength(c, c.dictionary()));
    }
  }

  /** The number of values of the dictionary the column's indices point into. */
  private long dictionaryLength(Column c, long id) throws RrdFormatException {
    long length = -1;
    for (IpcStream.Dictionary d : ipc.dictionaries()) {
      if (d.id() == id) {
        length = d.batch().length(); // a later batch of one id replaces the earlier (not a delta: IpcStream refuses those)
      }
    }
    if (length < 0) {
      throw error("column '" + c.field().getName() + "' is dictionary-encoded with dictionary " + id + ", which the stream lacks");
    }
    return length;
  }

  /** Every valid index of a dictionary-encoded column names one of the dictionary's {@code size} values. */
  private void indicesInside(Column c, long size) throws RrdFormatException {
    ArrowType.Int type = (ArrowType.Int) c.field().getType();
    int width = type.getBitWidth() / 8;
    long rows = node(c).length();
    long nulls = node(c).nullCount();
    ByteBuffer data = ipc.data();
    int validity = bufferStart(c, 0);
    int values = bufferStart(c, 1);
    for (int row = 0; row < rows; row++) {
      if (nulls > 0 && (data.get(validity + (row >>> 3)) & (1 << (row & 7))) == 0) {
        continue;
      }
      int at = values + row * width;
      long index = switch (width) {
        case 1 -> type.getIsSigned() ? data.get(at) : Byte.toUnsignedLong(data.get(at));
        case 2 -> type.getIsSigned() ? data.getShort(at) : Short.toUnsignedLong(data.getShort(at));
        case 4 -> type.getIsSigned() ? data.getInt(at) : Integer.toUnsignedLong(data.getInt(at));
        default -> data.getLong(at); // an unsigned 64-bit index past 2^63 reads negative: refused below
      };
      if (index < 0 || index >= size) {
        throw error("column '" + c.field().getName() + "' has index " + index + " at row " + row + " into a dictionary of " + size + " values");
      }
    }
  }

  /**
   * The layouts of the stream's dictionaries, by id, each checked as {@link #checkContents} checks a
   * record batch. A dictionary's values are a column of the encoded field's value type; a later batch of
   * an id replaces an earlier one, as in Arrow's streams.
   */
  static Map<Long, RecordBatchLayout> dictionaries(IpcStream ipc, String file, long offset) throws RrdFormatException {
    Map<Long, Field> valueFields = new HashMap<>();
    for (Field field : ipc.schema().getFields()) {
      collectValueFields(field, valueFields, file, offset);
    }
    Map<Long, RecordBatchLayout> layouts = new HashMap<>();
    for (IpcStream.Dictionary d : ipc.dictionaries()) {
      Field values = valueFields.get(d.id());
      if (values == null) {
        throw new RrdFormatException(file, offset, "corrupt Arrow stream: dictionary batch " + d.id() + " belongs to no column");
      }
      RecordBatchLayout layout = of(ipc.dictionaryStream(d, values), file, offset);
      layout.checkContents();
      layouts.put(d.id(), layout);
    }
    return layouts;
  }

  private static void collectValueFields(Field field, Map<Long, Field> out, String file, long offset) throws RrdFormatException {
    DictionaryEncoding encoding = field.getDictionary();
    if (encoding != null) {
      for (Field child : field.getChildren()) {
        if (containsDictionary(child)) {
          throw new RrdFormatException(file, offset, "column '" + field.getName() + "' has dictionaries inside a dictionary's values, which "
              + "rrdflight does not read");
        }
      }
      Field values = new Field(field.getName(), new FieldType(field.isNullable(), field.getType(), null), field.getChildren());
      Field earlier = out.putIfAbsent(encoding.getId(), values);
      // Arrow makes one vector per id, of the first field's type, and loads the batch into it: a field
      // of another type would read that vector's buffers as its own, past their ends.
      if (earlier != null && !NestedVectors.sameTypes(earlier, values)) {
        throw new RrdFormatException(file, offset, "dictionary " + encoding.getId() + " serves fields of different value types, " + earlier
            + " and " + values + ", which rrdflight does not read");
      }
      return;
    }
    for (Field child : field.getChildren()) {
      collectValueFields(child, out, file, offset);
    }
  }

  private static boolean containsDictionary(Field field) {
    return field.getDictionary() != null || field.getChildren().stream().anyMatch(RecordBatchLayout::containsDictionary);
  }

  /**
   * Whether a cell of the column is neither null nor an empty list: what Rerun calls not
   * "semantically empty". Read from the buffers, which {@link #checkContents} must have checked,
   * taking validity as Arrow Java loads it (a null count of 0 means all valid whatever the bitmap,
   * one of the length all null). Only List and Map cells can be empty; a Null column holds no value.
   */
  boolean hasNonEmptyCell(Column c) {
    FieldNode node = node(c);
    long rows = node.length();
    long nulls = node.nullCount();
    ArrowType type = c.field().getType();
    if (rows == 0 || nulls >= rows || type instanceof ArrowType.Null) {
      return false;
    }
    boolean lists = type instanceof ArrowType.List || type instanceof ArrowType.Map;
    if (!lists && (nulls == 0 || type instanceof ArrowType.Union)) {
      return true;
    }
    ByteBuffer data = ipc.data();
    int validity = bufferStart(c, 0);
    int offsets = lists ? bufferStart(c, 1) : 0;
    for (int row = 0; row < rows; row++) {
      boolean valid = nulls == 0 || (data.get(validity + (row >>> 3)) & (1 << (row & 7))) != 0;
      if (valid && (!lists || data.getInt(offsets + (row + 1) * 4) > data.getInt(offsets + row * 4))) {
        return true;
      }
    }
    return false;
  }

  private long fixedWidth(Column c) {
    return TypeLayout.getTypeLayout(c.field().getType()).getBufferLayouts().get(1).getTypeBitWidth() / 8;
  }

  /** Offsets must be {@code length + 1} non-decreasing values from 0 or more up to at most {@code limit}. */
  private void offsets(Column c, int buffer, int width, long limit, String what) throws RrdFormatException {
    long length = node(c).length();
    if (length == 0) {
      return; // writers may leave the offsets of an empty column out
    }
    need(c, buffer, (length + 1) * width, "offsets");
    ByteBuffer data = ipc.data();
    int at = bufferStart(c, buffer);
    long previous = width == 4 ? data.getInt(at) : data.getLong(at);
    if (previous < 0) {
      throw error("column '" + c.field().getName() + "' has a negative first offset");
    }
    for (long i = 1; i <= length; i++) {
      long next = width == 4 ? data.getInt(at + (int) (i * 4)) : data.getLong(at + (int) (i * 8));
      if (next < previous) {
        throw error("column '" + c.field().getName() + "' has decreasing offsets at row " + (i - 1));
      }
      previous = next;
    }
    if (previous > limit) {
      throw error("column '" + c.field().getName() + "' has offsets up to " + previous + " but only " + limit + " " + what);
    }
  }

  private void union(Column c, ArrowType.Union type, long length) throws RrdFormatException {
    need(c, 0, length, "type ids");
    int[] typeIds = type.getTypeIds();
    ByteBuffer data = ipc.data();
    int types = bufferStart(c, 0);
    boolean dense = type.getMode() == org.apache.arrow.vector.types.UnionMode.Dense;
    if (dense) {
      need(c, 1, length * 4, "offsets");
    }
    for (int row = 0; row < length; row++) {
      byte id = data.get(types + row);
      int child = -1;
      for (int k = 0; k < c.children().size(); k++) {
        if ((typeIds == null ? k : typeIds[k]) == id) {
          child = k;
        }
      }
      if (child < 0) {
        throw error("union column '" + c.field().getName() + "' has unknown type id " + id + " at row " + row);
      }
      long childLength = node(c.children().get(child)).length();
      long at = dense ? data.getInt(bufferStart(c, 1) + row * 4) : row;
      if (at < 0 || at >= childLength) {
        throw error("union column '" + c.field().getName() + "' points to value " + at + " of a child with " + childLength + " at row " + row);
      }
    }
  }

  private void need(Column c, int buffer, long bytes, String what) throws RrdFormatException {
    if (bufferLength(c, buffer) < bytes) {
      throw error("column '" + c.field().getName() + "' needs " + bytes + " bytes of " + what + ", its buffer has " + bufferLength(c, buffer));
    }
  }

  private RrdFormatException error(String problem) {
    return new RrdFormatException(file, offset, "corrupt Arrow record batch: " + problem);
  }
}
