"""What differs between rrdflight and `rerun server` (0.41.0 and 0.36.3, from the same wheels as the clients)
by design, and why: the one list of the newer-SDK suites. Every exclusion in test_rerun041_catalog.py and
test_rerun036_seed.py names one of these entries; nothing else is normalised away."""

KNOWN_DIFFERENCES = {
    "entry ids": "random per process in Rerun (new ones on every start); persistent in rrdflight. Ids also "
                 "appear in dataset URLs, segment URLs and the names of the hidden `__bp_<id>` and `__as_<id>` entries",
    "server address": "each server listens on its own port, which segment URLs contain",
    "timestamps": "created_at, updated_at, rerun_last_updated_at, rerun_registration_time: when each server "
                  "registered the data",
    "chunk counts and sizes": "Rerun re-encodes recordings in memory and counts its own chunks and bytes "
                              "(rerun_num_chunks, rerun_size_bytes); rrdflight serves the file's chunks",
    "schema hash": "rerun_schema_sha256 hashes each server's own encoding of a layer's schema",
    "asset dataset names": "rrdflight keeps the link from a dataset to its asset dataset in the name `__as_<id>`, so "
                           "renaming an asset dataset is refused (INVALID_ARGUMENT); Rerun renames it",
    "deleted asset dataset": "deleting an asset dataset alone: Rerun keeps naming it in its dataset's details (reading "
                             "asset_dataset() then fails NOT_FOUND); rrdflight names none, so register_asset makes a new one",
    "asset refusal": "the message refusing a temporal asset differs in wording; both fail the segment's registration",
    "old names": "after set_name, Rerun 0.41 still finds the entry by its old name (get_dataset(name=old) "
                 "returns it); rrdflight raises LookupError naming the old name",
    "unsupported URL scheme": "Rerun answers NOT_FOUND ('RRD file not found, could not load URI: s3://…') for an "
                              "object it cannot read; rrdflight reads s3:// objects below its allowed prefixes only "
                              "(PERMISSION_DENIED naming the URL elsewhere, as for files) and answers INVALID_ARGUMENT "
                              "naming the schemes it reads for any other scheme",
    "column order": "Rerun merges segment schemas in hash-map order, so the order of dataset and reader "
                    "columns varies; tables are compared with columns sorted by name",
    "storage URLs (0.36)": "Rerun 0.36 reports a segment's storage URL as memory:///store/<id>; rrdflight (and "
                           "Rerun 0.41) the registered file:// URL",
    "every recording of a file": "Rerun 0.41 registers only the first recording of a file that holds several "
                                 "(0.27 registered all); rrdflight registers every one, so no data is dropped silently",
    "file URL with a host": "file://relative/run.rrd names the host 'relative'; Rerun answers NOT_FOUND, rrdflight "
                            "INVALID_ARGUMENT saying the URL names another host and what an absolute file URL looks like",
    "chunk keys": "a manifest's chunk_key is opaque to the client and each server's own (rrdflight's names dataset, "
                  "segment, layer and the chunk's bytes in its file, never a path)",
    "manifest application id": "Rerun's GetRrdManifest names the store's application 'none'; rrdflight the "
                               "recording's own (the viewer shows the dataset id either way)",
    "row order": "rows of different segments come from concurrently read segments; tables are compared "
                 "sorted by (rerun_segment_id, index)",
    "allowed roots": "rrdflight registers files only below its --allow-root and -d directories; outside them it "
                     "answers PERMISSION_DENIED whether the file exists or not (Rerun reads any file it can)",
    "deleting an entry whose blueprint dataset was deleted": "both keep the entry naming its deleted blueprint dataset; "
                                                             "deleting the entry then, Rerun deletes it but answers NOT_FOUND "
                                                             "for the blueprint dataset already gone, rrdflight answers OK",
    "changing the blueprint dataset": "Rerun's UpdateDatasetEntry and UpdateTableEntry take any blueprint dataset; "
                                      "rrdflight keeps the one made with the entry and answers INVALID_ARGUMENT",
    "table without a blueprint dataset": "a table entered by an rrdflight before tables had blueprint datasets gets one "
                                         "from any UpdateTableEntry that names none (what TableEntry.blueprint_dataset() "
                                         "sends); Rerun makes one only when a default is set, and otherwise drops the "
                                         "table's link to its blueprint dataset",
    "table row order": "a Lance table's fragments are read concurrently by both servers; tables are compared sorted "
                       "by their index column",
}
