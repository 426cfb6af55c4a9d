package io.rrdflight.server.flightsql;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Dataset;
import io.rrdflight.sql.SqlEngine;
import io.rrdflight.sql.SqlQueryException;
import io.rrdflight.sql.calcite.RerunDatasetSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.flight.sql.FlightSqlProducer.Schemas;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * The Flight SQL metadata results: catalogs (one per dataset), schemas ({@code rerun} in each),
 * tables (with their Arrow schemas when asked, as JDBC's getColumns needs) and the XDBC type
 * info. Table schemas are those a {@code SELECT *} returns, so they come from planning one.
 */
final class MetadataTables {
  private final SqlEngine engine;
  private final BufferAllocator allocator;

  MetadataTables(SqlEngine engine, BufferAllocator allocator) {
    this.engine = requireNonNull(engine, "engine is null");
    this.allocator = requireNonNull(allocator, "allocator is null");
  }

  void catalogs(ServerStreamListener listener) {
    List<String> names = new ArrayList<>(engine.data().datasets().stream().map(Dataset::name).sorted().toList());
    if (!engine.data().tables().isEmpty()) {
      names.add(0, ""); // table entries: no catalog, as browsing tools group them
    }
    send(Schemas.GET_CATALOGS_SCHEMA, listener, root -> {
      VarCharVector v = (VarCharVector) root.getVector("catalog_name");
      for (int i = 0; i < names.size(); i++) {
        v.setSafe(i, new Text(names.get(i)));
      }
      return names.size();
    });
  }

  void schemas(FlightSql.CommandGetDbSchemas command, ServerStreamListener listener) {
    Pattern schemaPattern = like(command.hasDbSchemaFilterPattern() ? command.getDbSchemaFilterPattern() : null);
    List<String> catalogs = new ArrayList<>();
    for (Dataset d : sortedDatasets()) {
      if ((!command.hasCatalog() || command.getCatalog().equals(d.name())) && schemaPattern.matcher(RerunDatasetSchema.SCHEMA).matches()) {
        catalogs.add(d.name());
      }
    }
    boolean root = !engine.data().tables().isEmpty() && (!command.hasCatalog() || command.getCatalog().isEmpty())
        && schemaPattern.matcher("").matches();
    send(Schemas.GET_SCHEMAS_SCHEMA, listener, vectors -> {
      VarCharVector catalog = (VarCharVector) vectors.getVector("catalog_name");
      VarCharVector schema = (VarCharVector) vectors.getVector("db_schema_name");
      int row = 0;
      if (root) {
        schema.setSafe(row++, new Text("")); // table entries: no catalog (null), no schema ("")
      }
      for (String name : catalogs) {
        catalog.setSafe(row, new Text(name));
        schema.setSafe(row++, new Text(RerunDatasetSchema.SCHEMA));
      }
      return row;
    });
  }

  /** A row of GetTables; table entries have no catalog (null) and the empty schema name. */
  private record TableRow(String catalog, String table, byte[] schema) {}

  void tables(FlightSql.CommandGetTables command, ServerStreamListener listener) {
    Pattern schemaPattern = like(command.hasDbSchemaFilterPattern() ? command.getDbSchemaFilterPattern() : null);
    Pattern tablePattern = like(command.hasTableNameFilterPattern() ? command.getTableNameFilterPattern() : null);
    boolean typeOk = command.getTableTypesCount() == 0 || command.getTableTypesList().contains("TABLE");
    List<TableRow> rows = new ArrayList<>();
    for (Dataset d : sortedDatasets()) {
      if ((command.hasCatalog() && !command.getCatalog().equals(d.name())) || !schemaPattern.matcher(RerunDatasetSchema.SCHEMA).matches() || !typeOk) {
        continue;
      }
      for (String table : engine.tableNames(d)) {
        if (tablePattern.matcher(table).matches()) {
          rows.add(new TableRow(d.name(), table, command.getIncludeSchema() ? ipc(tableSchema(d.name(), table)) : null));
        }
      }
    }
    // Table entries (Lance tables) live in the root, without catalog or schema, as JDBC's "" names them.
    boolean rootWanted = (!command.hasCatalog() || command.getCatalog().isEmpty()) && schemaPattern.matcher("").matches() && typeOk;
    if (rootWanted) {
      for (io.rrdflight.catalog.Table t : engine.data().tables()) {
        if (tablePattern.matcher(t.name()).matches()) {
          rows.add(new TableRow(null, t.name(), command.getIncludeSchema() ? ipc(entrySchema(t.name())) : null));
        }
      }
    }
    Schema result = command.getIncludeSchema() ? Schemas.GET_TABLES_SCHEMA : Schemas.GET_TABLES_SCHEMA_NO_SCHEMA;
    send(result, listener, root -> {
      VarCharVector catalog = (VarCharVector) root.getVector("catalog_name");
      VarCharVector schema = (VarCharVector) root.getVector("db_schema_name");
      VarCharVector name = (VarCharVector) root.getVector("table_name");
      VarCharVector type = (VarCharVector) root.getVector("table_type");
      VarBinaryVector bytes = command.getIncludeSchema() ? (VarBinaryVector) root.getVector("table_schema") : null;
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i).catalog() != null) {
          catalog.setSafe(i, new Text(rows.get(i).catalog()));
          schema.setSafe(i, new Text(RerunDatasetSchema.SCHEMA));
        } else {
          schema.setSafe(i, new Text("")); // as GetDbSchemas names the root
        }
        name.setSafe(i, new Text(rows.get(i).table()));
        type.setSafe(i, new Text("TABLE"));
        if (bytes != null) {
          bytes.setSafe(i, rows.get(i).schema());
        }
      }
      return rows.size();
    });
  }

  /** What {@code SELECT *} of a table entry returns. */
  Schema entrySchema(String table) {
    try {
      return engine.prepare("SELECT * FROM " + quote(table)).resultSchema();
    } catch (SqlQueryException e) {
      return new Schema(List.of());
    }
  }

  /** What {@code SELECT *} of the table returns. */
  Schema tableSchema(String dataset, String table) {
    String sql = "SELECT * FROM " + quote(dataset) + "." + quote(RerunDatasetSchema.SCHEMA) + "." + quote(table);
    try {
      return engine.prepare(sql).resultSchema();
    } catch (SqlQueryException e) {
      return new Schema(List.of());
    }
  }

  private record SqlType(String name, int jdbcType, int columnSize, String prefix, String suffix, boolean caseSensitive,
      boolean unsigned, int radix) {}

  private static final List<SqlType> TYPES = List.of(
      new SqlType("BOOLEAN", Types.BOOLEAN, 1, null, null, false, false, 0),
      new SqlType("TINYINT", Types.TINYINT, 3, null, null, false, false, 10),
      new SqlType("SMALLINT", Types.SMALLINT, 5, null, null, false, false, 10),
      new SqlType("INTEGER", Types.INTEGER, 10, null, null, false, false, 10),
      new SqlType("BIGINT", Types.BIGINT, 19, null, null, false, false, 10),
      new SqlType("REAL", Types.REAL, 7, null, null, false, false, 2),
      new SqlType("DOUBLE", Types.DOUBLE, 15, null, null, false, false, 2),
      new SqlType("DECIMAL", Types.DECIMAL, 19, null, null, false, false, 10),
      new SqlType("VARCHAR", Types.VARCHAR, 65536, "'", "'", true, false, 0),
      new SqlType("VARBINARY", Types.VARBINARY, 65536, "X'", "'", false, false, 0),
      new SqlType("DATE", Types.DATE, 10, "DATE '", "'", false, false, 0),
      new SqlType("TIMESTAMP", Types.TIMESTAMP, 23, "TIMESTAMP '", "'", false, false, 0),
      new SqlType("ARRAY", Types.ARRAY, 0, null, null, false, false, 0));

  void typeInfo(FlightSql.CommandGetXdbcTypeInfo command, ServerStreamListener listener) {
    // Ordered by data_type, as JDBC's getTypeInfo is (tools look a type up in that order).
    List<SqlType> types = TYPES.stream().filter(t -> !command.hasDataType() || command.getDataType() == t.jdbcType())
        .sorted(java.util.Comparator.comparingInt(SqlType::jdbcType)).toList();
    send(Schemas.GET_TYPE_INFO_SCHEMA, listener, root -> {
      for (int i = 0; i < types.size(); i++) {
        SqlType t = types.get(i);
        ((VarCharVector) root.getVector("type_name")).setSafe(i, new Text(t.name()));
        ((IntVector) root.getVector("data_type")).setSafe(i, t.jdbcType());
        ((IntVector) root.getVector("column_size")).setSafe(i, t.columnSize());
        if (t.prefix() != null) {
          ((VarCharVector) root.getVector("literal_prefix")).setSafe(i, new Text(t.prefix()));
          ((VarCharVector) root.getVector("literal_suffix")).setSafe(i, new Text(t.suffix()));
        }
        ListVector params = (ListVector) root.getVector("create_params");
        params.startNewValue(i);
        params.endValue(i, 0);
        ((IntVector) root.getVector("nullable")).setSafe(i, 1); // columnNullable
        ((BitVector) root.getVector("case_sensitive")).setSafe(i, t.caseSensitive() ? 1 : 0);
        ((IntVector) root.getVector("searchable")).setSafe(i, 3); // searchable with any operator
        ((BitVector) root.getVector("unsigned_attribute")).setSafe(i, t.unsigned() ? 1 : 0);
        ((BitVector) root.getVector("fixed_prec_scale")).setSafe(i, 0);
        ((BitVector) root.getVector("auto_increment")).setSafe(i, 0);
        ((VarCharVector) root.getVector("local_type_name")).setSafe(i, new Text(t.name()));
        ((IntVector) root.getVector("sql_data_type")).setSafe(i, t.jdbcType());
        if (t.radix() > 0) {
          ((IntVector) root.getVector("num_prec_radix")).setSafe(i, t.radix());
        }
      }
      return types.size();
    });
  }

  /** A result with no rows, for questions whose answer is always "none" (keys). */
  void empty(Schema schema, ServerStreamListener listener) {
    send(schema, listener, root -> 0);
  }

  private List<Dataset> sortedDatasets() {
    return engine.data().datasets().stream().sorted(java.util.Comparator.comparing(Dataset::name)).toList();
  }

  private interface Filler {
    int fill(VectorSchemaRoot root);
  }

  private void send(Schema schema, ServerStreamListener listener, Filler filler) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      root.allocateNew();
      int rows = filler.fill(root);
      root.setRowCount(rows);
      listener.start(root);
      listener.putNext();
      listener.completed();
    }
  }

  /** A SQL LIKE pattern ({@code %}, {@code _}, backslash escape) as a regex; null matches all. */
  static Pattern like(String pattern) {
    if (pattern == null) {
      return Pattern.compile(".*", Pattern.DOTALL);
    }
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '%') {
        re.append(".*");
      } else if (c == '_') {
        re.append('.');
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    // Without regard to case, as SQL resolves names here (and SqlInfo says): a tool that upper-cases
    // the name it looks for must find the table its query will reach.
    return Pattern.compile(re.toString(), Pattern.DOTALL | Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  /** A schema as an Arrow IPC message, the form Flight SQL uses for table, dataset and parameter schemas. */
  static byte[] ipc(Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema);
    } catch (IOException e) {
      throw new IllegalStateException("Serialising a schema to memory cannot fail", e);
    }
    return out.toByteArray();
  }
}
