"""SQL comparisons with a TIMESTAMP are exact to the nanosecond, as Rerun's times are, and mean the same
whatever the server's time zone: checked against rerun-sdk 0.27.3's own dataframe API on the same
recordings, through ADBC, with the server's JVM started in New York's zone.

Calcite keeps a TIMESTAMP in milliseconds: `log_time >= TIMESTAMP '…:23.197233475'` used to start a
millisecond early, and a bound parameter was read through the JVM's zone (moved by its offset)."""

from __future__ import annotations

import datetime

import pyarrow as pa
import pytest

from conftest import FIXTURES, ServerProcess

rr = pytest.importorskip("rerun")
flightsql = pytest.importorskip("adbc_driver_flightsql.dbapi")

from rerun_views import recordings_in, rerun_view  # noqa: E402

DATASET = FIXTURES / "dataset"

pytestmark = pytest.mark.skipif(not DATASET.is_dir(), reason="fixtures missing: run scripts/gen-fixtures")


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("data"), "-d", f"dataset={DATASET}", env={"TZ": "America/New_York"})
    connection = flightsql.connect(srv.grpc_uri, autocommit=True)
    yield connection
    connection.close()
    srv.stop()


@pytest.fixture(scope="module")
def oracle():
    """One recording's log_time values as Rerun reads them (nanoseconds), and a value among them whose
    nanoseconds are not whole milliseconds, with another row in the same millisecond before it if any."""
    path = sorted(DATASET.glob("*.rrd"))[0]
    (pid, rec), = recordings_in(path).items()

    def values(index):
        column = rerun_view(rec, index, "/**").column("log_time").cast(pa.int64()).to_pylist()
        return sorted(v for v in column if v is not None)

    times = values("log_time")
    candidates = [v for v in times[len(times) // 3:] if v % 1_000_000 != 0]
    assert candidates, "the fixture's log_time values are whole milliseconds: nothing to tell apart"
    return pid, {"log_time": times, "frame": values("frame")}, candidates[0]


def literal(nanos: int) -> str:
    seconds, fraction = divmod(nanos, 1_000_000_000)
    wall = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    return f"TIMESTAMP '{wall:%Y-%m-%d %H:%M:%S}.{fraction:09d}'"


def log_times(conn, sql: str, parameters=None) -> list[int]:
    with conn.cursor() as cur:
        cur.execute(sql, parameters=parameters)
        table = cur.fetch_arrow_table()
    return sorted(table.column("log_time").cast(pa.int64()).to_pylist())


HOLDS = {">=": lambda v, at: v >= at, ">": lambda v, at: v > at, "=": lambda v, at: v == at,
         "<": lambda v, at: v < at, "<=": lambda v, at: v <= at}


@pytest.mark.parametrize("op", list(HOLDS))
def test_a_timestamp_literal_compares_to_the_nanosecond(conn, oracle, op):
    pid, times, at = oracle
    # On the log_time table the comparison narrows the scan; on the frame table (log_time is then another
    # timeline's column) it is a filter above the scan.
    for table in ("log_time", "frame"):
        sql = f"SELECT log_time FROM dataset.{table} WHERE rerun_partition_id = '{pid}' AND log_time {op} {literal(at)}"
        assert log_times(conn, sql) == [v for v in times[table] if HOLDS[op](v, at)], sql


@pytest.mark.parametrize("unit,tz", [("ns", None), ("ns", "UTC"), ("us", "UTC"), ("ms", "Europe/Berlin"), ("s", None)])
def test_a_bound_timestamp_parameter_compares_exactly_in_any_server_time_zone(conn, oracle, unit, tz):
    """A parameter of any unit, with or without a time zone (pyarrow's type for an aware datetime): the
    instant it holds, to its last digit."""
    pid, times, at = oracle
    per = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}[unit]
    value = at // per
    bound = pa.record_batch([pa.array([pid]), pa.array([value], pa.timestamp(unit, tz=tz))], names=["pid", "at"])
    for table in ("log_time", "frame"):
        sql = f"SELECT log_time FROM dataset.{table} WHERE rerun_partition_id = ? AND log_time >= ?"
        assert log_times(conn, sql, bound) == [v for v in times[table] if v >= value * per], sql


def test_the_row_engine_returns_utc_times_whatever_the_servers_zone(conn, oracle):
    """A query Calcite's row engine answers (a UNION) gives the same instants, to the millisecond, as Rerun."""
    pid, times, _ = oracle
    times = times["log_time"]
    sql = (f"SELECT log_time FROM dataset.log_time WHERE rerun_partition_id = '{pid}' "
           f"UNION ALL SELECT log_time FROM dataset.log_time WHERE rerun_partition_id = '{pid}' AND log_time IS NULL")
    with conn.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    got = sorted(table.column("log_time").cast(pa.timestamp("ms")).cast(pa.int64()).to_pylist())
    assert got == [v // 1_000_000 for v in times]


@pytest.mark.parametrize("table", ["log_time", "frame"])
def test_a_timestamp_parameter_that_is_not_a_time_is_refused_by_name(conn, oracle, table):
    """Text bound where a TIMESTAMP is compared, on the index (the scan's range) and above the scan (the
    batch engine): a clear INVALID_ARGUMENT, and the connection goes on."""
    pid, times, _ = oracle
    bound = pa.record_batch([pa.array([pid]), pa.array(["yesterday"])], names=["pid", "at"])
    sql = f"SELECT log_time FROM dataset.{table} WHERE rerun_partition_id = ? AND log_time >= ?"
    with pytest.raises(flightsql.Error, match="INVALID_ARGUMENT.*Parameter 2 .*wants a timestamp") as refused:
        log_times(conn, sql, bound)
    assert "yesterday" not in str(refused.value)  # the value is the client's; the message names kinds only
    good = pa.record_batch([pa.array([pid]), pa.array([times[table][0]], pa.timestamp("ns"))], names=["pid", "at"])
    assert log_times(conn, sql, good) == times[table]
