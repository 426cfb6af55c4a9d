package io.rrdflight.server.redap;

import static java.util.Objects.requireNonNull;

import io.rrdflight.catalog.Catalog;
import io.rrdflight.catalog.Dataset;
import io.rrdflight.catalog.SegmentProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.ListVector;

/**
 * GetAssetsForSegment (0.41 clients and viewer, before a segment's manifest): which of a dataset's
 * assets apply to a segment. Each asset (a segment of the asset dataset) says so in its
 * {@code asset} property, written by register_asset: mode {@code OptOut} applies it to every
 * segment but those listed, {@code OptIn} to the listed ones only; an asset without the property
 * applies everywhere. Without a segment, the answer is the opt-out assets, as in rerun server 0.41.
 */
final class AssetsForSegment {
  static final String MODE_COLUMN = "property:asset:mode";
  static final String SEGMENTS_COLUMN = "property:asset:segments";
  static final String OPT_IN = "OptIn";

  private final Catalog catalog;
  private final ArrowIpc ipc;

  AssetsForSegment(Catalog catalog, ArrowIpc ipc) {
    this.catalog = requireNonNull(catalog, "catalog is null");
    this.ipc = requireNonNull(ipc, "ipc is null");
  }

  /** The dataset's asset dataset and the asset ids (sorted) that apply to {@code segmentId}; empty when it has no asset dataset. */
  Optional<Answer> assets(Dataset dataset, Optional<String> segmentId) {
    Optional<Dataset> assetDataset = catalog.assetDataset(dataset.id());
    if (assetDataset.isEmpty()) {
      return Optional.empty();
    }
    Set<String> assetIds = new TreeSet<>();
    catalog.partitions(assetDataset.get().id()).forEach(p -> assetIds.add(p.partitionId()));
    List<String> applying = new ArrayList<>();
    for (String asset : assetIds) {
      Coverage coverage = catalog.segmentProperties(assetDataset.get().id(), asset).map(this::coverage).orElse(Coverage.EVERYWHERE);
      if (coverage.appliesTo(segmentId)) {
        applying.add(asset);
      }
    }
    return Optional.of(new Answer(assetDataset.get(), applying));
  }

  record Answer(Dataset assetDataset, List<String> assetIds) {
    Answer {
      requireNonNull(assetDataset, "assetDataset is null");
      assetIds = List.copyOf(assetIds);
    }
  }

  /** Where an asset applies: its mode and listed segments. */
  record Coverage(boolean optIn, Set<String> listed) {
    static final Coverage EVERYWHERE = new Coverage(false, Set.of());

    boolean appliesTo(Optional<String> segment) {
      if (segment.isEmpty()) {
        return !optIn;
      }
      return optIn == listed.contains(segment.get());
    }
  }

  /** The asset property of one asset (row 0 of its first batch); a batch that cannot be read counts as no property (the asset applies everywhere). */
  private Coverage coverage(SegmentProperties properties) {
    List<Coverage> first = new ArrayList<>();
    try {
      ipc.readStream(properties.batch(), "the properties of asset '" + properties.segmentId() + "'", root -> {
        if (first.isEmpty() && root.getRowCount() > 0) {
          List<String> mode = strings(root.getVector(MODE_COLUMN));
          first.add(new Coverage(!mode.isEmpty() && OPT_IN.equals(mode.get(0)), Set.copyOf(strings(root.getVector(SEGMENTS_COLUMN)))));
        }
      });
    } catch (RuntimeException e) {
      return Coverage.EVERYWHERE; // SetSegmentProperties checked it is one readable row; a damaged store should not fail the call
    }
    return first.isEmpty() ? Coverage.EVERYWHERE : first.get(0);
  }

  /** The non-null strings of a list cell in row 0 (or the value of a plain cell); none when the column is absent or null. */
  private static List<String> strings(FieldVector vector) {
    List<String> out = new ArrayList<>();
    if (vector == null || vector.isNull(0)) {
      return out;
    }
    Object cell = vector.getObject(0);
    if (vector instanceof ListVector && cell instanceof List<?> items) {
      items.stream().filter(java.util.Objects::nonNull).map(Object::toString).forEach(out::add);
    } else {
      out.add(cell.toString());
    }
    return out;
  }
}
