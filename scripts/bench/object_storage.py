"""Benchmark (not a test): the same recordings read from S3-compatible object storage vs local disk.

One rrdflight server serves a directory twice: as `disk` (-d DIR) and, after the files are put in a bucket
of a real S3-compatible server on this machine (s3proxy, its filesystem store in a temporary directory, removed at the end), as
`bucket` (-d bucket=s3://bench/big/ with --s3-endpoint). Then, round after round with the order rotating:
  - register: a 0.27.3 `register_prefix` of the directory vs of the bucket prefix into a new dataset,
    until its task is done (the chunk index of every file is built: footer files read their footer only);
  - view: the query view `query_view(index => 'frame', contents => '/**')` of every partition through
    ADBC (Flight SQL), all rows fetched;
  - count: `SELECT COUNT(*)` of the frame table (chunk heads only).
Reported: the median and the best of the rounds, per figure. Other work on the machine shares its cores:
medians of several rounds, and the loopback store has no network latency (a real bucket adds a round trip
per request: what read-ahead and parallel fetches are for).

    .venv/bin/python scripts/bench/object_storage.py /tmp/big41 --files 4 --rounds 3

Needs the runnable jar (mvn package), flight-server/target/s3proxy/s3proxy.jar (mvn generate-test-resources)
and the venv of scripts/requirements.txt.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))

from bench_common import BUCKET, BUCKET_PREFIX, add_jar_option, bucket_of, use_jar  # noqa: E402
from rrdflight_server import ServerProcess  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="a directory of .rrd files (e.g. made by seed_workflow.py --make-big)")
    parser.add_argument("--files", type=int, default=4, help="how many of its files (default 4)")
    parser.add_argument("--rounds", type=int, default=3)
    add_jar_option(parser)
    args = parser.parse_args()
    use_jar(args.jar)
    files = sorted(args.directory.glob("*.rrd"))[: args.files]
    # The bucket's store holds a copy of every file (hundreds of MB): removed however the run ends.
    with tempfile.TemporaryDirectory(prefix="rrdflight-s3bench-") as tmp:
        work = Path(tmp)
        staged = work / "files"
        staged.mkdir()
        for f in files:
            (staged / f.name).symlink_to(f.resolve())
        s3 = bucket_of(files, work)
        try:
            measure(args, s3, staged, work)
        finally:
            s3.stop()


def measure(args, s3, staged: Path, work: Path) -> None:
    """The rounds, against one server serving `staged` as `disk` and the bucket as `bucket`; prints the figures."""
    import adbc_driver_flightsql.dbapi as flightsql
    import rerun as rr

    bucket = f"s3://{BUCKET}/{BUCKET_PREFIX}"
    server = None
    try:
        server = ServerProcess(work / "data", "-d", f"disk={staged}", "-d", f"bucket={bucket}",
                               "--s3-endpoint", s3.endpoint, "--allow-root", f"s3://{BUCKET}/", "--allow-root", str(staged),
                               env=s3.credentials())
        client = rr.catalog.CatalogClient(f"rerun+http://127.0.0.1:{server.port}")
        results: dict[str, list[float]] = {}
        places = {"disk": (f"file://{staged}", "disk"), "bucket": (bucket, "bucket")}
        with flightsql.connect(server.grpc_uri, autocommit=True) as conn:
            def sql(text):
                with conn.cursor() as cur:
                    cur.execute(text)
                    return cur.fetch_arrow_table()

            rows = {}
            for warm in ("disk", "bucket"):  # JIT and page cache, not measured
                rows[warm] = sql(f"SELECT * FROM TABLE(\"{warm}\".query_view(index => 'frame', contents => '/**'))").num_rows
            assert rows["disk"] == rows["bucket"], rows
            for r in range(args.rounds):
                order = ["disk", "bucket"] if r % 2 == 0 else ["bucket", "disk"]
                for place in order:
                    prefix, served = places[place]
                    name = f"reg_{place}_{r}"
                    dataset = client.create_dataset(name=name)
                    t, _ = timed(lambda: dataset.register_prefix(prefix).wait(3600))
                    results.setdefault(f"register ({place})", []).append(t)
                    dataset.delete()
                    t, table = timed(lambda: sql(f"SELECT * FROM TABLE(\"{served}\".query_view(index => 'frame', contents => '/**'))"))
                    assert table.num_rows == rows[place]
                    results.setdefault(f"view ({place})", []).append(t)
                    t, _ = timed(lambda: sql(f'SELECT COUNT(*) FROM "{served}".rerun.frame'))
                    results.setdefault(f"count ({place})", []).append(t)
        print(f"query view: {rows['disk']} rows")
        print(f"{'figure':<22} {'median s':>10} {'best s':>10}")
        for name, values in results.items():
            print(f"{name:<22} {statistics.median(values):>10.3f} {min(values):>10.3f}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
