package io.rrdflight.catalog;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Instant;
import java.util.List;

/** A registration of one source into a dataset, tracked until it succeeds or fails. */
public record Task(
    String id,
    EntryId datasetId,
    URI source,
    String layer,
    TaskStatus status,
    String message,
    List<String> partitionIds,
    Instant createdAt,
    Instant updatedAt) {

  public Task {
    requireNonNull(id, "id is null");
    requireNonNull(datasetId, "datasetId is null");
    requireNonNull(source, "source is null");
    requireNonNull(layer, "layer is null");
    requireNonNull(status, "status is null");
    partitionIds = List.copyOf(requireNonNull(partitionIds, "partitionIds is null"));
    requireNonNull(createdAt, "createdAt is null");
    requireNonNull(updatedAt, "updatedAt is null");
  }

  Task with(TaskStatus newStatus, String newMessage, List<String> newPartitionIds, Instant now) {
    return new Task(id, datasetId, source, layer, newStatus, newMessage, newPartitionIds, createdAt, now);
  }
}
