package io.rrdflight.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.rrdflight.server.redap.proto.CreateDatasetEntryRequest;
import io.rrdflight.server.redap.proto.RerunCloudServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.junit.jupiter.api.Test;

class AuditLogTest {
  @Test
  void summaryNamesTheFieldsOfTheRequest() {
    assertEquals("{name=\"robots\"}", AuditLog.summarize(CreateDatasetEntryRequest.newBuilder().setName("robots").build()));
  }

  @Test
  void bytesAreSummarisedByTheirLength() {
    Flight.Action action = Flight.Action.newBuilder().setType("X").setBody(ByteString.copyFrom(new byte[1000])).build();
    assertEquals("{type=\"X\" body=<1000 bytes>}", AuditLog.summarize(action));
  }

  @Test
  void rawRequestIsReadWithItsMethodsTypeAndRewoundForTheService() throws Exception {
    AuditLog audit = new AuditLog(List.of(RerunCloudServiceGrpc.getServiceDescriptor()));
    byte[] bytes = CreateDatasetEntryRequest.newBuilder().setName("robots").build().toByteArray();
    InputStream raw = new ByteArrayInputStream(bytes);
    assertEquals("{name=\"robots\"}", audit.summarize(RerunCloudServiceGrpc.getCreateDatasetEntryMethod().getFullMethodName(), raw));
    assertArrayEquals(bytes, raw.readAllBytes(), "the service still gets the whole request");
  }

  @Test
  void rawRequestThatCannotBeRewoundIsLeftAlone() throws Exception {
    AuditLog audit = new AuditLog(List.of(RerunCloudServiceGrpc.getServiceDescriptor()));
    byte[] bytes = CreateDatasetEntryRequest.newBuilder().setName("robots").build().toByteArray();
    InputStream oneShot = new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public boolean markSupported() {
        return false;
      }
    };
    assertEquals("", audit.summarize(RerunCloudServiceGrpc.getCreateDatasetEntryMethod().getFullMethodName(), oneShot));
    assertArrayEquals(bytes, oneShot.readAllBytes());
  }

  @Test
  void hugeRequestsMakeBoundedSummaries() {
    CreateDatasetEntryRequest huge = CreateDatasetEntryRequest.newBuilder().setName("n".repeat(1_000_000)).build();
    assertTrue(AuditLog.summarize(huge).length() <= AuditLog.MAX_SUMMARY + 1);
  }
}
