package io.rrdflight.server.auth;

import java.util.HashMap;
import java.util.Map;

/**
 * The role each call on the shared port needs: one table for both doors, consulted by
 * {@link AuthInterceptor} before a call reaches its service. Rerun's RPCs are listed by name for
 * every client generation we know of (0.27 to 0.41), including those this server does not implement
 * yet, so that implementing one later cannot leave it open by accident. A call that is not listed
 * needs {@link Role#ADMIN}: unknown means closed.
 *
 * <p>Every Flight call needs a reader here. The SQL door also writes tables (INSERT INTO, prepared or
 * not, and bulk ingest, all through DoPut), but DoPut also binds a prepared query's parameters, which a
 * reader may: the producer requires the writer role for a table write itself, and such a write is
 * audited as it closes ({@link AuditLog#tableWrite}). DoAction is decided per action type once its
 * message arrives ({@link #forFlightAction}).
 */
public final class CallRoles {
  public static final String RERUN_SERVICE = "rerun.cloud.v1alpha1.RerunCloudService";
  public static final String FLIGHT_SERVICE = "arrow.flight.protocol.FlightService";
  static final String FLIGHT_HANDSHAKE = FLIGHT_SERVICE + "/Handshake";
  static final String FLIGHT_DO_ACTION = FLIGHT_SERVICE + "/DoAction";

  private final Map<String, Role> methods = new HashMap<>();
  private final Map<String, Role> flightActions = new HashMap<>();

  public CallRoles() {
    rerun(Role.READER, "Version", "WhoAmI", "FindEntries", "ReadDatasetEntry", "ReadTableEntry",
        "GetPartitionTableSchema", "ScanPartitionTable", "GetSegmentTableSchema", "ScanSegmentTable",
        "GetDatasetManifestSchema", "ScanDatasetManifest", "GetDatasetSchema", "GetRrdManifest", "GetAssetsForSegment", "GetSegmentProperties",
        "QueryDataset", "FindChunks", "FetchChunks", "GetTableSchema", "ScanTable", "QueryTasks", "QueryTasksOnCompletion",
        "WatchEvents", "DoBandwidthTest");
    rerun(Role.WRITER, "CreateDatasetEntry", "CreateTableEntry", "RegisterWithDataset", "WriteChunks", "RegisterTable",
        "WriteTable", "UpdateDatasetEntry", "UpdateTableEntry", "CancelTasks", "SetSegmentProperties");
    // Removing data or renaming what others refer to: DeleteEntry, UpdateEntry (a rename),
    // UnregisterFromDataset (removes segments), DeleteSegmentProperties, and maintenance. (UpdateDatasetEntry
    // and UpdateTableEntry only set blueprint details, SetSegmentProperties what register_asset records: writers.)
    rerun(Role.ADMIN, "DeleteEntry", "UpdateEntry", "UnregisterFromDataset", "DeleteSegmentProperties", "DoMaintenance",
        "DoGlobalMaintenance");

    flight(Role.READER, "Handshake", "ListFlights", "GetFlightInfo", "PollFlightInfo", "GetSchema", "DoGet", "DoPut",
        "DoExchange", "DoAction", "ListActions");
    for (String action : new String[] {"CreatePreparedStatement", "ClosePreparedStatement", "CreatePreparedSubstraitPlan",
        "CancelQuery", "CancelFlightInfo", "RenewFlightEndpoint", "BeginTransaction", "EndTransaction", "BeginSavepoint",
        "EndSavepoint", "SetSessionOptions", "GetSessionOptions", "CloseSession"}) {
      flightActions.put(action, Role.READER);
    }
  }

  /** The role a call of {@code fullMethodName} (e.g. {@code rerun.cloud.v1alpha1.RerunCloudService/DeleteEntry}) needs. */
  public Role forMethod(String fullMethodName) {
    return methods.getOrDefault(fullMethodName, Role.ADMIN);
  }

  /** True when the table names the method (an undeclared one needs {@link Role#ADMIN}). */
  public boolean declares(String fullMethodName) {
    return methods.containsKey(fullMethodName);
  }

  /** The role a Flight {@code DoAction} of this type needs. */
  public Role forFlightAction(String actionType) {
    return flightActions.getOrDefault(actionType, Role.ADMIN);
  }

  private void rerun(Role role, String... names) {
    for (String name : names) {
      methods.put(RERUN_SERVICE + "/" + name, role);
    }
  }

  private void flight(Role role, String... names) {
    for (String name : names) {
      methods.put(FLIGHT_SERVICE + "/" + name, role);
    }
  }
}
