"""The Python examples run against the real server serving fixtures/dataset as "sample"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "flight-server" / "src" / "test" / "python"))
from rrdflight_server import FIXTURES, ServerProcess  # noqa: E402

import adbc_query_view  # noqa: E402
import adbc_tables  # noqa: E402
import flight_doget  # noqa: E402

pytestmark = pytest.mark.skipif(not (FIXTURES / "dataset").is_dir(), reason="fixtures missing: run scripts/gen-fixtures")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"sample={FIXTURES / 'dataset'}")
    yield srv
    srv.stop()


def test_adbc_example_lists_datasets_and_fills_a_query_view(server):
    datasets = adbc_query_view.list_datasets(server.grpc_uri)
    assert datasets["sample"][:3] == ["partitions", "static_data", "frame"]
    table = adbc_query_view.main(server.grpc_uri, "sample", "time_3")
    assert table.column_names[0] == "rerun_partition_id"
    assert len(set(table.column("rerun_partition_id").to_pylist())) == 12
    # Filled: after a partition's first /obj1 point, every row of that partition has one.
    for pid in ["rec-dataset-01", "rec-dataset-04"]:
        obj1 = [v for p, v in zip(table.column("rerun_partition_id").to_pylist(), table.column("/obj1:Points3D:positions").to_pylist())
                if p == pid]
        first = next(i for i, v in enumerate(obj1) if v is not None)
        assert all(v is not None for v in obj1[first:])


def test_pyarrow_flight_example_speaks_flight_sql_by_hand(server):
    table = flight_doget.main(server.grpc_uri)
    assert table.num_rows == 12
    assert table.column_names == ["rerun_partition_id", "rerun_num_chunks"]
    assert sorted(table.column("rerun_partition_id").to_pylist())[0] == "rec-dataset-01"


def test_adbc_tables_example_uploads_flags_and_joins_them_with_a_dataset(server):
    table = adbc_tables.main(server.grpc_uri, "sample", "time_1")
    assert table.column("segment_id").to_pylist() == ["rec-dataset-01", "rec-dataset-03", "rec-dataset-05"]
    assert all(n > 0 for n in table.column("rows").to_pylist())
    again = adbc_tables.main(server.grpc_uri, "sample", "time_1")  # replace: the same rows, not twice as many
    assert again.equals(table)
