/**
 * Rerun's catalog service ("redap", {@code rerun.cloud.v1alpha1.RerunCloudService}) on rrdflight's
 * port, for both generations of Rerun's clients: rerun-sdk 0.27.x ("partitions") and 0.28 to 0.41.x
 * ("segments"), answered from the {@link io.rrdflight.catalog.Catalog} and the registered
 * {@code .rrd} files.
 *
 * <h2>Shape: one model, two wires</h2>
 *
 * {@link io.rrdflight.server.redap.RerunCloudService} assembles the door: a {@code RerunModel} (the
 * classes that build each answer in terms of datasets, segments, tasks and chunks — {@code Entries}
 * and {@code EntriesTable}, {@code Registration}, {@code TaskTable}/{@code TaskCompletion},
 * {@code DatasetTables} with {@code PartitionTable}, {@code PartitionProperties} and
 * {@code DatasetManifest}, {@code DatasetQuery} (the catalog's {@code ChunkPlanner} decides which chunks) with {@code ChunkInfo}, {@code ChunkFetch}) and two
 * wires that only translate: {@code PartitionsWire} (the 0.27 messages, {@code src/main/proto}) and
 * {@code SegmentsWire} (the 0.28+ messages, {@code src/main/proto-v0_28plus}, our own .proto with
 * Rerun's field numbers: renumbered segment ids and column lists, FindChunks, WhoAmI,
 * UnregisterFromDataset, CancelTasks). The {@code WireRouter} merges both under Rerun's one service
 * name and hands each call to the wire of the caller's {@code x-rerun-client-version}
 * ({@code ClientVersion}; no header: the newest). Words inside Arrow answers ({@code rerun_partition_id}
 * vs {@code rerun_segment_id}, …) and LZ4 compression of parts come from {@code Vocabulary}, which the
 * model classes take as a parameter. Adding a client generation means adding a wire and, where its
 * words differ, a vocabulary — not touching the model. Statuses come from {@code CatalogStatus};
 * the dataset a call is about from the {@code x-rerun-entry-id} header ({@code EntryIdHeader}).
 * References: shared/docs/redap-0.27.md and redap-newest.md.
 *
 * <h2>Choices that are not obvious from the code</h2>
 *
 * <ul>
 *   <li><b>Registration answers at once, with partition ids.</b> The SDK's {@code register()} returns
 *       the last row's partition id, so RegisterWithDataset reads each file's recording ids up front
 *       (store messages only; about a quarter of the time indexing takes), checks everything a user
 *       can get wrong (URL, file, duplicates) before changing anything, then queues one catalog task
 *       per file. {@code tasks.wait(t)} ends with DEADLINE_EXCEEDED after {@code t}: TimeoutError.
 *   <li><b>QueryDataset prunes.</b> Rerun's server answers every chunk of the requested entities and
 *       lets the client's query engine sort it out. {@code DatasetQuery} translates the request for
 *       the catalog's {@link io.rrdflight.catalog.ChunkPlanner}, which keeps only what that engine's
 *       answer depends on (static chunks, chunks in the range, the chunks that may hold each
 *       component's latest value at the latest-at point), from the chunk index alone. Entities are
 *       matched exactly, as Rerun's server does, so answers equal Rerun's.
 *   <li><b>FetchChunks forwards the file's own chunks.</b> A {@code chunk_key} names dataset,
 *       partition, layer and the ArrowMsg's byte span; the chunk is one positional read, sent as
 *       written (LZ4 and all) with only its store id fixed when needed, packed into messages of about
 *       4 MiB and sent no faster than the client takes them. Keys never hold paths: a forged key can
 *       at most read a registered recording, and must still parse as one of its chunks.
 *   <li><b>Nested field names.</b> Clients compare Arrow types including nested field names and do
 *       not cast; schemas therefore carry the fields as written in the chunks' IPC schemas (list
 *       items named {@code item}), never the names Arrow Java's vectors report ({@code $data$}).
 * </ul>
 *
 * <h2>Blueprint datasets</h2>
 *
 * CreateDatasetEntry also makes the dataset's companion blueprint dataset {@code __bp_<id>} (entry
 * kind 5), as Rerun does; every DatasetEntry carries DatasetDetails (blueprint_dataset, and the
 * default blueprint: field 4 for 0.27, 5 for 0.28+) and UpdateDatasetEntry ({@code DatasetDetailsUpdate}) sets the default
 * blueprint. Every table gets one too (CreateTableEntry, RegisterTable, {@code -t}), as in Rerun
 * 0.41: 0.28+ clients see it in TableDetails, and UpdateTableEntry ({@code TableDetailsUpdate}) sets
 * the table's default blueprint, making the blueprint dataset of a table entered before tables had
 * them. FindEntries and {@code __entries} list both kinds; a blueprint dataset is not a
 * dataset to a kind filter. Registering into a blueprint dataset takes a file's blueprint stores.
 * Deleting a dataset or table deletes its blueprint dataset; deleting a blueprint dataset alone
 * leaves its owner naming it, as in Rerun, and the owner's default blueprint is then refused in
 * Rerun's words. Datasets served with {@code -d} have both companions, as in Rerun 0.41 (0.27 made
 * none; every client generation sees them here).
 *
 * <h2>Where answers differ from {@code rerun server}, on purpose</h2>
 *
 * Entry ids (persistent here, random per start there, so {@code __bp_} names differ too);
 * timestamps; storage URLs ({@code file://} here, {@code memory://} there); chunk counts (the file's
 * chunks here, Rerun's compacted ones there) and so the sizes of partitions Rerun compacts, or whose
 * chunks declare no heap size ({@code PartitionSizeBytes} in the catalog); a storage URL that is
 * not a readable local .rrd, or a file without a store of the dataset's kind, is INVALID_ARGUMENT
 * here and silently skipped there; UpdateDatasetEntry and UpdateTableEntry cannot change
 * blueprint_dataset here; deleting an entry whose blueprint dataset was deleted alone answers OK
 * here (Rerun deletes it and answers NOT_FOUND); a create_dataset whose name is taken leaves no
 * blueprint dataset behind here; tasks really run in the background here. test_rerun_catalog.py
 * names each one where it excludes it. Tables ({@code TableEntries}): Lance tables as Rerun's
 * server keeps them; TABLE_INSERT_MODE_UPDATE is not served, client URLs must be {@code file://}
 * below the allowed roots; 0.27 clients also list the {@code __bp_} blueprint datasets of tables,
 * which Rerun 0.27.3 did not make. Not served: WriteChunks, indexes and search, maintenance; gRPC-web (the browser viewer). With 0.28+ clients:
 * every recording of a file with several is registered (Rerun 0.41 keeps only the first); no
 * {@code __as_<id>} asset dataset is made; the direct-URL columns of FindChunks are always null
 * (clients fetch through FetchChunks: no file is exposed).
 */
package io.rrdflight.server.redap;
