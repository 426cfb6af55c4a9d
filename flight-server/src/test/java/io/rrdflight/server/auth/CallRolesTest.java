package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.MethodDescriptor;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.junit.jupiter.api.Test;

class CallRolesTest {
  final CallRoles roles = new CallRoles();

  @Test
  void everyMethodOfBothServicesAndBothRerunVocabulariesIsDeclared() {
    for (var service : new io.grpc.ServiceDescriptor[] {RerunCloudServiceGrpc.getServiceDescriptor(),
        io.rrdflight.server.redap.wire.segments.RerunCloudServiceGrpc.getServiceDescriptor(), FlightServiceGrpc.getServiceDescriptor()}) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        assertTrue(roles.declares(method.getFullMethodName()), "no role declared for " + method.getFullMethodName());
      }
    }
  }

  @Test
  void readsNeedReaderWritesNeedWriterDeletesAndRenamesNeedAdmin() {
    assertEquals(Role.READER, rerun("FindEntries"));
    assertEquals(Role.READER, rerun("WhoAmI"));
    assertEquals(Role.READER, rerun("FindChunks"));
    assertEquals(Role.READER, rerun("FetchChunks"));
    assertEquals(Role.WRITER, rerun("RegisterWithDataset"));
    assertEquals(Role.WRITER, rerun("CreateDatasetEntry"));
    assertEquals(Role.WRITER, rerun("WriteTable"));
    assertEquals(Role.ADMIN, rerun("DeleteEntry"));
    assertEquals(Role.ADMIN, rerun("UpdateEntry"));
    assertEquals(Role.ADMIN, rerun("UnregisterFromDataset"));
    assertEquals(Role.READER, rerun("GetSegmentProperties"));
    assertEquals(Role.WRITER, rerun("SetSegmentProperties")); // register_asset's second call
    assertEquals(Role.ADMIN, rerun("DeleteSegmentProperties"));
  }

  @Test
  void unknownCallsAndActionsNeedAdmin() {
    assertEquals(Role.ADMIN, roles.forMethod("rerun.cloud.v1alpha1.RerunCloudService/SomethingNew"));
    assertEquals(Role.ADMIN, roles.forMethod("grpc.health.v1.Health/Check"));
    assertEquals(Role.ADMIN, roles.forFlightAction("DropEverything"));
    assertEquals(Role.READER, roles.forFlightAction("CreatePreparedStatement"));
  }

  @Test
  void rolesIncludeTheLowerOnes() {
    assertTrue(Role.ADMIN.includes(Role.WRITER));
    assertTrue(Role.WRITER.includes(Role.READER));
    assertTrue(!Role.READER.includes(Role.WRITER));
    assertEquals(Role.WRITER, Role.parse(" Writer "));
  }

  private Role rerun(String name) {
    return roles.forMethod(CallRoles.RERUN_SERVICE + "/" + name);
  }
}
