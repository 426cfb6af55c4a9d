"""Writes an .rrd of about the given size made of camera images (one image per chunk row), the
kind of recording where component data is nearly all of every chunk.

Usage: python make_image_file.py OUT.rrd SIZE_MB   (any pinned rerun-sdk, e.g. .venv/bin/python)
"""
import os
import sys

import numpy as np
import rerun as rr

out, size_mb = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(11)
rec = rr.RecordingStream("rrdflight_bench", recording_id="rec-bench-images")
rec.save(out)
frame = 0
while True:
    rec.set_time("frame", sequence=frame)
    rec.log("/camera", rr.Image(rng.integers(0, 256, size=(480, 640, 3), dtype=np.uint8)))
    frame += 1
    if frame % 20 == 0:
        rec.flush()
        if os.path.getsize(out) >= size_mb * 1e6:
            break
rec.flush()
