package io.rrdflight.server.redap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rrdflight.catalog.ChunkPlan;
import io.rrdflight.catalog.ChunkPlan.Components;
import io.rrdflight.catalog.ChunkPlan.Entities;
import io.rrdflight.catalog.ChunkPlan.LatestAt;
import io.rrdflight.catalog.ChunkPlan.Rows;
import io.rrdflight.catalog.ChunkPlan.Segments;
import io.rrdflight.catalog.ChunkPlan.Time;
import io.rrdflight.rrd.ChunkId;
import io.rrdflight.rrd.IndexRange;
import io.rrdflight.rrd.proto.EntityPath;
import io.rrdflight.rrd.proto.IndexColumnSelector;
import io.rrdflight.rrd.proto.PartitionId;
import io.rrdflight.rrd.proto.TimeRange;
import io.rrdflight.rrd.proto.Timeline;
import io.rrdflight.rrd.proto.Tuid;
import io.rrdflight.server.redap.proto.Query;
import io.rrdflight.server.redap.proto.QueryDatasetRequest;
import io.rrdflight.server.redap.proto.QueryLatestAt;
import io.rrdflight.server.redap.proto.QueryRange;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How a QueryDataset request becomes the planner's typed request (the planner itself: ChunkPlannerTest). */
class DatasetQueryTest {
  static IndexColumnSelector index(String name) {
    return IndexColumnSelector.newBuilder().setTimeline(Timeline.newBuilder().setName(name)).build();
  }

  static QueryRange range(String index, long start, long end) {
    return QueryRange.newBuilder().setIndex(index(index)).setIndexRange(TimeRange.newBuilder().setStart(start).setEnd(end)).build();
  }

  @Test
  void aRequestWithoutQueryNeedsEveryChunkOfItsPartitionsAndEntities() {
    QueryDatasetRequest request = QueryDatasetRequest.newBuilder()
        .addPartitionIds(PartitionId.newBuilder().setId("rec-1")).addPartitionIds(PartitionId.newBuilder().setId("rec-2"))
        .addEntityPaths(EntityPath.newBuilder().setPath("obj")).addEntityPaths(EntityPath.newBuilder().setPath("/text"))
        .addChunkIds(Tuid.newBuilder().setTimeNs(7).setInc(3)).addFuzzyDescriptors("colors").setExcludeStaticData(true).build();
    ChunkPlan.Request typed = DatasetQuery.planRequest(request);
    assertEquals(Segments.named(List.of("rec-1", "rec-2")), typed.segments());
    assertEquals(Entities.exactly(Set.of("/obj", "/text")), typed.entities(), "clients may omit the leading slash");
    assertEquals(Set.of(new ChunkId(7, 3)), typed.chunkIds());
    assertEquals(Components.matching(List.of("colors")), typed.components());
    assertFalse(typed.includeStatic());
    assertTrue(typed.includeTemporal());
    assertEquals(Time.unbounded(), typed.time());
    assertEquals(Time.unbounded(), DatasetQuery.planRequest(request.toBuilder().setQuery(Query.getDefaultInstance()).build()).time());
  }

  @Test
  void selectAllIsEveryEntityAndNoPathsIsNone() {
    assertEquals(Entities.all(), DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).build()).entities());
    assertEquals(Entities.exactly(Set.of()), DatasetQuery.planRequest(QueryDatasetRequest.getDefaultInstance()).entities());
    assertEquals(Segments.all(), DatasetQuery.planRequest(QueryDatasetRequest.getDefaultInstance()).segments());
  }

  @Test
  void theSdksFilteredViewIsARangeAndALatestAtAtItsStart() {
    Query query = Query.newBuilder().setLatestAt(QueryLatestAt.newBuilder().setIndex(index("frame")).setAt(21)).setRange(range("frame", 21, 25)).build();
    assertEquals(Time.onIndex("frame", Rows.inRange(new IndexRange(21, 25)), LatestAt.at(21)),
        DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setQuery(query).build()).time());
  }

  @Test
  void aLatestAtOnItsOwnIsAPointAndWithoutIndexOrPointMeansStaticData() {
    Query at = Query.newBuilder().setLatestAt(QueryLatestAt.newBuilder().setIndex(index("frame")).setAt(15)).build();
    assertEquals(Time.onIndex("frame", Rows.none(), LatestAt.at(15)), DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setQuery(at).build()).time());
    // What the SDK sends for index=None: a latest-at without index, at i64::MIN.
    Query staticOnly = Query.newBuilder().setLatestAt(QueryLatestAt.newBuilder().setAt(Long.MIN_VALUE)).build();
    assertEquals(Time.staticOnly(), DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setQuery(staticOnly).build()).time());
    Query noPoint = Query.newBuilder().setLatestAt(QueryLatestAt.newBuilder().setIndex(index("frame"))).build();
    assertEquals(Time.staticOnly(), DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setQuery(noPoint).build()).time());
    // ... which a range on an index includes anyway.
    Query withRange = staticOnly.toBuilder().setRange(range("frame", 1, 2)).build();
    assertEquals(Time.onIndex("frame", Rows.inRange(new IndexRange(1, 2)), LatestAt.none()),
        DatasetQuery.planRequest(QueryDatasetRequest.newBuilder().setQuery(withRange).build()).time());
  }

  @Test
  void badRequestsAreInvalidArguments() {
    assertInvalid(QueryDatasetRequest.newBuilder().setSelectAllEntityPaths(true).addEntityPaths(EntityPath.newBuilder().setPath("/obj")).build(),
        "not both");
    assertInvalid(QueryDatasetRequest.newBuilder().setQuery(Query.newBuilder().setRange(range("frame", 5, 4))).build(), "after its end");
    assertInvalid(QueryDatasetRequest.newBuilder().setQuery(Query.newBuilder().setRange(QueryRange.newBuilder()
        .setIndexRange(TimeRange.newBuilder().setStart(1).setEnd(2)))).build(), "needs an index");
    assertInvalid(QueryDatasetRequest.newBuilder().setQuery(Query.newBuilder().setRange(range("frame", 1, 2))
        .setLatestAt(QueryLatestAt.newBuilder().setIndex(index("log_time")).setAt(1))).build(), "same index");
  }

  private static void assertInvalid(QueryDatasetRequest request, String message) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> DatasetQuery.planRequest(request));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
  }
}
