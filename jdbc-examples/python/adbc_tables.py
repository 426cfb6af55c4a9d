"""Keep labels next to recordings and join them in SQL, from Python with ADBC (adbc-driver-flightsql).

Uploads a table of success flags, one row per recording (ADBC bulk ingestion; it becomes a table entry
that the Rerun SDK sees too), then joins it with per-recording aggregates of a dataset:

    SELECT f.segment_id, f.success, a.rows FROM success_flags f
    JOIN (SELECT rerun_partition_id, COUNT(*) AS rows FROM sample.rerun.time_1 GROUP BY rerun_partition_id) a
      ON a.rerun_partition_id = f.segment_id

Usage: python adbc_tables.py [grpc://127.0.0.1:51234] [DATASET] [INDEX]
"""

from __future__ import annotations

import sys

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa


def upload_flags(uri: str, flags: pa.Table, name: str = "success_flags") -> int:
    """Creates the table, or replaces its rows: ADBC's mode "replace"."""
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        return cur.adbc_ingest(name, flags, mode="replace")


def successes_with_row_counts(uri: str, dataset: str, index: str, name: str = "success_flags") -> pa.Table:
    sql = (f'SELECT f.segment_id, f.success, a."rows" FROM {name} f '
           f'JOIN (SELECT rerun_partition_id, COUNT(*) AS "rows" FROM "{dataset}".rerun.{index} GROUP BY rerun_partition_id) a '
           f"ON a.rerun_partition_id = f.segment_id WHERE f.success ORDER BY f.segment_id")
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def main(uri: str = "grpc://127.0.0.1:51234", dataset: str = "sample", index: str = "time_1") -> pa.Table:
    flags = pa.table({"segment_id": [f"rec-dataset-{i:02d}" for i in range(1, 7)],
                      "success": [i % 2 == 1 for i in range(1, 7)]})
    print(f"uploaded {upload_flags(uri, flags)} rows to success_flags")
    table = successes_with_row_counts(uri, dataset, index)
    print(table.to_pandas().to_string())
    return table


if __name__ == "__main__":
    main(*sys.argv[1:])
