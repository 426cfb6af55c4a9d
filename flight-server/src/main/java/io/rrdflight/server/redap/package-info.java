/**
 * Rerun's catalog service ("redap", {@code rerun.cloud.v1alpha1.RerunCloudService}) on rrdflight's
 * port: the calls rerun-sdk 0.27.3's {@code CatalogClient} and the 0.27.3 viewer make, answered from
 * the {@link io.rrdflight.catalog.Catalog} and the indexed {@code .rrd} files.
 *
 * <p>{@link io.rrdflight.server.redap.RerunCloudService} only dispatches; each answer is built by a
 * class named after what it returns ({@code Entries}, {@code TaskTable}, {@code PartitionTable},
 * {@code ChunkInfo}, ...). Arrow IPC encoding lives in {@code ArrowIpc} alone. The wire contract is
 * {@code src/main/proto/rerun/v1alpha1/cloud.proto}; the reference is shared/docs/redap-0.27.md.
 */
package io.rrdflight.server.redap;
