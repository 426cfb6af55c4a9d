"""Query rrdflight from Python with ADBC (adbc-driver-flightsql): list datasets, then a query view with
latest-at fill as an Arrow table, the SQL form of Rerun's

    dataset.dataframe_query_view(index="time_1", contents="/**").fill_latest_at()

Usage: python adbc_query_view.py [grpc://127.0.0.1:51234] [DATASET] [INDEX]
"""

from __future__ import annotations

import sys

import adbc_driver_flightsql.dbapi as flightsql
import pyarrow as pa


def list_datasets(uri: str) -> dict[str, list[str]]:
    """Dataset name -> its tables (schema "rerun")."""
    with flightsql.connect(uri, autocommit=True) as conn:
        objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
    return {
        catalog["catalog_name"]: [t["table_name"] for s in catalog["catalog_db_schemas"] for t in s["db_schema_tables"]]
        for catalog in objects
    }


def query_view_with_fill(uri: str, dataset: str, index: str, contents: str = "/**") -> pa.Table:
    sql = (f'SELECT * FROM TABLE("{dataset}".query_view(index => \'{index}\', contents => \'{contents}\', '
           f"fill_latest_at => true))")
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()  # Arrow all the way: Rerun's column names and types


def main(uri: str = "grpc://127.0.0.1:51234", dataset: str = "sample", index: str = "time_1") -> pa.Table:
    for name, tables in list_datasets(uri).items():
        print(f"dataset {name}: {', '.join(tables)}")
    table = query_view_with_fill(uri, dataset, index)
    print(f"{table.num_rows} rows, columns: {', '.join(table.column_names)}")
    print(table.slice(0, 5).to_pandas().to_string())
    return table


if __name__ == "__main__":
    main(*sys.argv[1:])
