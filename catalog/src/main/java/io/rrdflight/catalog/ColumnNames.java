package io.rrdflight.catalog;

/** Rerun's dataframe naming: the one place that turns an entity and a component into a column name. */
public final class ColumnNames {
  public static final String ROW_ID = "rerun.controls.RowId";
  public static final String PARTITION_ID = "rerun_partition_id";
  /**
   * The component a {@code Clear} writes: its rows clear the entity (and, when true, its
   * descendants); its column is Rerun's "tombstone" column.
   */
  public static final String CLEAR_IS_RECURSIVE = "Clear:is_recursive";
  static final String PROPERTIES = "/__properties";

  private ColumnNames() {}

  /**
   * {@code /obj1} + {@code Points3D:positions} → {@code /obj1:Points3D:positions}; recording
   * properties read {@code property:RecordingInfo:start_time} or {@code property:foo/bar:Comp:field}.
   */
  public static String component(String entityPath, String component) {
    if (entityPath.equals(PROPERTIES)) {
      return "property:" + component;
    }
    if (entityPath.startsWith(PROPERTIES + "/")) {
      return "property:" + entityPath.substring(PROPERTIES.length() + 1) + ":" + component;
    }
    return entityPath + ":" + component;
  }
}
