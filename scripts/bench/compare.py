"""One benchmark run, every door and every anchor, on the same data (issue 11, item 7).

Runs, one after the other on the same machine (never side by side, so they do not share cores):
  1. rerun-sdk 0.41 (.venvs/test-newest): newest_sdk.py on the big set written by 0.41 —
     rrdflight vs `rerun server` 0.41.0 from the same wheel (register + wait, seed reader, all segments);
  2. rerun-sdk 0.27.3 (.venv): seed_workflow.py --once on the same recordings written by 0.27.3 —
     rrdflight vs `rerun server` 0.27.3;
  3. SQL over the 0.41 set (sql_big.py): the seed view, the full view (ADBC and JDBC), COUNT(*) and a
     GROUP BY per recording, optionally next to another build (--baseline-jar); then `sql_big.py
     --restart`: COUNT(*) on a fresh start, then after a restart (first, second) and the GROUP BY, each once;
  4. SQL over fixtures/large/large.rrd (sql/bench.py): the filled query view through ADBC and JDBC vs
     the plain Flight DoGet of the same bytes (the transport ceiling) and DuckDB's ASOF JOIN.
Prints one table with ratios and writes it into scripts/bench/README.md between the markers
`<!-- compare:begin -->` and `<!-- compare:end -->`; the raw figures go to --out (JSON).

    scripts/bench/compare                      # 16 recordings (~2.2 GB per SDK, written once)
    scripts/bench/compare --files 4 --repeat 1 # a quicker pass
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NEWEST = ROOT / ".venvs" / "test-newest" / "bin" / "python"
OLD = ROOT / ".venv" / "bin" / "python"
SQL = ROOT / ".venvs" / "bench-sql" / "bin" / "python"
README = HERE / "README.md"
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"


def step(title: str, command: list) -> None:
    print(f"== {title}", file=sys.stderr, flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=HERE)


def make_sets(data: Path, files: int) -> tuple[Path, Path]:
    """The generated set written by each SDK (bench_common.make_big skips files already there)."""
    new, old = data / f"big41-{files}", data / f"big27-{files}"
    step(f"data: {new}", [NEWEST, "newest_sdk.py", "--make-big", new, "--files", files])
    step(f"data: {old}", [OLD, "seed_workflow.py", "--make-big", old, "--files", files])
    return new, old


def seconds(v: float) -> str:
    return f"{v:.2f} s"


def megabytes(v: float) -> str:
    return f"{v:.0f} MB"


class Table:
    def __init__(self) -> None:
        self.lines = ["| what | data | rrdflight | anchor | anchor's figure | rrdflight / anchor |",
                      "|---|---|---:|---|---:|---:|"]

    def row(self, what: str, data: str, ours: float | None, anchor: str, theirs: float | None, show=seconds) -> None:
        a = show(ours) if ours is not None else "—"
        b = show(theirs) if theirs is not None else "—"
        r = f"{ours / theirs:.2f}" if ours is not None and theirs else "—"
        self.lines.append(f"| {what} | {data} | {a} | {anchor} | {b} | {r} |")


def mean(values: list[float]) -> float:
    return statistics.mean(values)


def sdk_rows(table: Table, newest: dict, old: dict) -> None:
    data = f"{newest['files']} recordings by 0.41 ({newest['mb']:.0f} MB)"
    ours, theirs = newest["names"]
    r = newest["results"]
    for key, label in [("register", "register + wait"), ("seed", "seed reader (1 segment, 10% window, fill)"),
                       ("all", "all segments (count)")]:
        table.row(f"rerun-sdk {newest['client']}: {label}", data, mean([x[key]["wall"] for x in r[ours]]), theirs,
                  mean([x[key]["wall"] for x in r[theirs]]))
    table.row(f"rerun-sdk {newest['client']}: server peak RSS", data, max(x["all"]["rss"] for x in r[ours]), theirs,
              max(x["all"]["rss"] for x in r[theirs]), megabytes)
    data = f"{old['files']} recordings by 0.27.3 ({old['mb']:.0f} MB)"
    runs = {name.split(",")[0]: figures for name, figures in old["rows"]}
    ours_old, theirs_old = runs["rrdflight"], runs["rerun server 0.27.3"]
    for key, label in [("register", "register + wait"), ("seed_view", "seed view (1 partition, 10% window, fill)"),
                       ("all_view", "all partitions")]:
        table.row(f"rerun-sdk {old['client']}: {label}", data, ours_old[key], "rerun server 0.27.3", theirs_old[key])
    table.row(f"rerun-sdk {old['client']}: server peak RSS", data, ours_old["rss"], "rerun server 0.27.3", theirs_old["rss"], megabytes)


def sql_big_rows(table: Table, sql: dict, data: str, door: str = "SQL") -> None:
    base = sql.get("baseline", {})
    for name, r in sql["rrdflight"].items():
        if not isinstance(r, dict):
            continue
        theirs = base.get(name)
        cpu = f" (server CPU {r['server CPU s']:.2f} s)" if "server CPU s" in r else ""
        table.row(f"{door}: {name}, {r['rows']:,} rows{cpu}", data, r["wall"], "baseline build" if theirs else "—",
                  theirs["wall"] if theirs else None)
    if "peak RSS MB" in sql["rrdflight"]:
        table.row(f"{door}: server peak RSS", data, sql["rrdflight"]["peak RSS MB"], "baseline build" if base else "—",
                  base.get("peak RSS MB"), megabytes)


def sql_large_rows(table: Table, large: dict) -> None:
    best = {name: min(r[2] for r in runs) for name, runs in large["runs"].items()}
    rows = {name: runs[0][0] for name, runs in large["runs"].items()}
    ceiling = next(n for n in best if "ceiling" in n)
    duck = next((n for n in best if "DuckDB" in n), None)
    data = "large.rrd (1 recording, 270 MB)"
    for name in best:
        if name == ceiling or name == duck:
            continue
        label = f"SQL: filled query view, {name}, {rows[name]:,} rows"
        table.row(label, data, best[name], "plain Flight DoGet of the same bytes", best[ceiling])
        if duck:
            table.row(label, data, best[name], "DuckDB ASOF JOIN over Parquet (in-process)", best[duck])


def write_readme(text: str) -> None:
    readme = README.read_text()
    if BEGIN in readme and END in readme:
        head, rest = readme.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    else:
        README.write_text(readme.rstrip() + f"\n\n{BEGIN}\n{text}\n{END}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16, help="recordings in the generated sets")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("RRDFLIGHT_BENCH_DATA", "/tmp/rrdflight-bench")))
    parser.add_argument("--repeat", type=int, default=2, help="repetitions per figure (fresh processes for the SDK steps)")
    parser.add_argument("--baseline-jar", type=Path, help="another rrdflight.jar for the SQL steps on the big set")
    parser.add_argument("--out", type=Path, help="raw figures as JSON (default: a temporary file, printed)")
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    args = parser.parse_args()

    new, old = make_sets(args.data, args.files)
    work = Path(tempfile.mkdtemp(prefix="rrdflight-compare-"))
    figures = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
               "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    step("rerun-sdk 0.41: rrdflight vs rerun server 0.41", [NEWEST, "newest_sdk.py", new, "--reps", args.repeat, "--direct",
                                                           "--json", work / "newest.json"])
    step("rerun-sdk 0.27.3: rrdflight vs rerun server 0.27.3", [OLD, "seed_workflow.py", old, "--once", "--json", work / "old.json"])
    big = [SQL, "sql_big.py", new, "--repeat", args.repeat, "--json", work / "sql_big.json"]
    if args.baseline_jar:
        big += ["--baseline-jar", args.baseline_jar]
    step("SQL over the 0.41 set", big)
    # The first queries of a restarted server (issue 11 item 3): JVM and planner warm-up, not data.
    restart = [SQL, "sql_big.py", new, "--restart", "--json", work / "sql_restart.json"]
    if args.baseline_jar:
        restart += ["--baseline-jar", args.baseline_jar]
    step("SQL over the 0.41 set after a restart", restart)
    step("SQL over large.rrd vs the DoGet ceiling and DuckDB", [SQL, "sql/bench.py", "--repeat", max(args.repeat, 2),
                                                                 "--out", work / "sql_large.json"])
    for name in ("newest", "old", "sql_big", "sql_restart", "sql_large"):
        figures[name] = json.loads((work / f"{name}.json").read_text())

    table = Table()
    sdk_rows(table, figures["newest"], figures["old"])
    big_data = f"{figures['newest']['files']} recordings by 0.41 ({figures['newest']['mb']:.0f} MB)"
    sql_big_rows(table, figures["sql_big"], big_data)
    sql_big_rows(table, figures["sql_restart"], big_data, "SQL, one run")
    sql_large_rows(table, figures["sql_large"])
    text = (f"Last run: {figures['started']}, {figures['machine']}; best of {args.repeat} for SQL, mean of "
            f"{args.repeat} fresh processes for rerun-sdk 0.41, one run for 0.27.3. Times: lower is better; a ratio "
            f"below 1 means rrdflight is faster (or smaller).\n\n" + "\n".join(table.lines))
    print("\n" + text)
    out = args.out or work / "compare.json"
    out.write_text(json.dumps(figures, indent=1, default=str))
    print(f"\nraw figures: {out}", file=sys.stderr)
    if not args.no_readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
