"""Relational SQL over a dataset table (issue 11 item 3): COUNT(*), a GROUP BY per recording, a filter and
an ORDER BY ... LIMIT, read through ADBC from real rrdflight servers, one jar after the other in the same
run (e.g. main's jar and this branch's), each query repeated; prints medians and checks that every jar
returns the same rows. See README.md, "Relational queries".

  .venv/bin/python scripts/bench/sql/relational.py --dataset big=/tmp/big41 \
      --jar main=/tmp/mainjar/rrdflight.jar --jar branch=flight-server/target/rrdflight.jar
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "flight-server" / "src" / "test" / "python"))
from rrdflight_server import ListeningProcess  # noqa: E402


def queries(ds: str, table: str, scalar: str) -> dict[str, str]:
    t = f'"{ds}".rerun."{table}"'
    return {
        "count": f"SELECT COUNT(*) AS n FROM {t}",
        "group by recording": f'SELECT rerun_partition_id, COUNT(*) AS n, AVG("{scalar}"[1]) AS mean, MAX("{table}") AS last '
                              f"FROM {t} GROUP BY rerun_partition_id ORDER BY rerun_partition_id",
        "filter + count": f'SELECT COUNT(*) AS n FROM {t} WHERE "{scalar}"[1] > 0.5',
        "order by limit": f'SELECT rerun_partition_id, "{table}", "{scalar}"[1] AS v FROM {t} '
                          f'WHERE "{scalar}" IS NOT NULL ORDER BY v DESC, rerun_partition_id, "{table}" LIMIT 5',
    }


class Server(ListeningProcess):
    def __init__(self, jar: Path, data_dir: Path, dataset: str, heap: str) -> None:
        super().__init__(["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", f"-Xmx{heap}", "-jar", str(jar), "server", "--port", "0",
                          "--data-dir", str(data_dir), "-d", dataset, "--query-timeout", "600"],
                         r"listening on [^\s:]+:(\d+)", "rrdflight ready", f"rrdflight ({jar})")


def run(uri: str, sql: str):
    start = time.perf_counter()
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    return time.perf_counter() - start, table.to_pylist()


def same(a, b) -> bool:
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for (ka, va), (kb, vb) in zip(sorted(ra.items()), sorted(rb.items())):
            if isinstance(va, float) and isinstance(vb, float):
                if abs(va - vb) > 1e-6 * max(1.0, abs(va)):
                    return False
            elif va != vb:
                return False
    return True


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", required=True, help="NAME=DIR, served with -d")
    p.add_argument("--jar", action="append", required=True, help="LABEL=PATH, in the order to run")
    p.add_argument("--table", default="frame")
    p.add_argument("--scalar", default="/scalars/s0:Scalars:scalars")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--heap", default="1g")
    p.add_argument("--only", action="append", help="query names to run (default: all)")
    args = p.parse_args()
    name = args.dataset.split("=", 1)[0]
    qs = queries(name, args.table, args.scalar)
    if args.only:
        qs = {k: v for k, v in qs.items() if k in args.only}
    figures: dict[str, dict[str, float]] = {}
    answers: dict[str, dict[str, list]] = {}
    for spec in args.jar:
        label, jar = spec.split("=", 1)
        with tempfile.TemporaryDirectory() as data_dir:
            server = Server(Path(jar), Path(data_dir), args.dataset, args.heap)
            try:
                uri = f"grpc://127.0.0.1:{server.port}"
                for q, sql in qs.items():
                    times = []
                    for _ in range(args.repeat):
                        seconds, rows = run(uri, sql)
                        times.append(seconds)
                    figures.setdefault(q, {})[label] = statistics.median(times)
                    answers.setdefault(q, {})[label] = rows
                    print(f"{label:>10} | {q:<20} | median {statistics.median(times):8.3f} s | runs "
                          + ", ".join(f"{t:.3f}" for t in times) + f" | {len(rows)} rows", flush=True)
            finally:
                server.stop()
    labels = [s.split("=", 1)[0] for s in args.jar]
    print("\n| query | " + " | ".join(labels) + " | rows equal |")
    print("|---|" + "---:|" * len(labels) + "---|")
    for q in qs:
        first = answers[q][labels[0]]
        equal = all(same(first, answers[q][label]) for label in labels[1:])
        print(f"| {q} | " + " | ".join(f"{figures[q][label]:.2f} s" for label in labels) + f" | {'yes' if equal else 'NO'} |")
        if not equal:
            for label in labels:
                print(f"  {label}: {answers[q][label][:3]}")


if __name__ == "__main__":
    main()
