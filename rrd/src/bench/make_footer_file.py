"""Writes an .rrd of about the given size with a Rerun SDK >= 0.28, so that it ends with a footer.

Usage: python make_footer_file.py OUT.rrd SIZE_MB
Run it with the newest pinned SDK, e.g. .venvs/test-newest/bin/python (rerun-sdk 0.41.0).
Random values, seeded: sizes are stable, content does not matter to the benchmark.
"""
import os
import sys

import numpy as np
import rerun as rr

out, size_mb = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(7)
rec = rr.RecordingStream("rrdflight_bench", recording_id="rec-bench-footer")
rec.save(out)
rec.log("/info", rr.TextDocument("benchmark recording"), static=True)

rows = 10_000  # rows per send_columns call, so chunk count grows with size
start = 0
while True:
    frames = np.arange(start, start + rows)
    indexes = [rr.TimeColumn("frame", sequence=frames), rr.TimeColumn("sim_time", duration=frames * 0.01)]
    for e in range(4):
        rec.send_columns(f"/scalars/{e}", indexes=indexes, columns=rr.Scalars.columns(scalars=rng.normal(size=rows)))
    points = rng.normal(size=(rows * 8, 3)).astype(np.float32)
    rec.send_columns("/points", indexes=indexes, columns=rr.Points3D.columns(positions=points).partition([8] * rows))
    start += rows
    rec.flush()
    if os.path.getsize(out) >= size_mb * 1e6:
        break
rec.flush()
