"""The real Rerun viewer (from the rerun-sdk wheel of the running venv) browsing rrdflight, with screenshots.

Not a pytest test: it needs an X server (Xvfb), xdotool, ImageMagick's `import` and a software
Vulkan driver (mesa-vulkan-drivers), which CI machines lack. Run it by hand, with the venv whose viewer
is to be driven (0.27.3 in .venv, 0.41.0 in .venvs/test-newest):

    apt-get install xvfb xdotool imagemagick mesa-vulkan-drivers
    .venv/bin/python flight-server/src/test/python/viewer_smoke.py OUT_DIR
    .venvs/test-newest/bin/python flight-server/src/test/python/viewer_smoke.py OUT_DIR

It serves fixtures/dataset (and, for 0.41, fixtures/versions) with `-d`, opens the viewer on the
server's URL, and takes screenshots: the landing page (the `__entries` table), the dataset's segment
(partition) table after a click on the dataset, and one recording after a click on its link; for 0.41
also a recording written by 0.41.0 (whose manifest comes from the file's footer).
The server logs at debug level how it answered the viewer's reads: QueryDataset (0.27.3, a two-phase
fetch: static, then temporal) or GetRrdManifest (0.41, which then fetches chunks on demand by the
manifest's chunk keys). Clicks are at fixed positions of a 1600x1000 screen in each viewer's default
layout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FIXTURES, JAR, rerun_binary  # noqa: E402


@dataclass(frozen=True)
class Flow:
    """How one viewer generation is driven and what shows that it read the recording."""

    xvfb: list[str]  # extra Xvfb arguments
    datasets: list[str]  # fixture folders served with -d
    clicks: list[tuple[str, tuple[int, int], float]]  # (screenshot after the click, position, seconds to wait)
    read_log: str  # a server log line prefix per answered read
    min_reads: int


FLOWS = {
    (0, 27): Flow(xvfb=[], datasets=["dataset"],
                  clicks=[("2-partition-table.png", (87, 88), 6),  # the dataset, under the server in the left panel
                          ("3-recording.png", (395, 227), 10)],  # "Open" on the fourth partition
                  read_log="QueryDataset:", min_reads=2),
    # The 0.41 viewer asks for a transparent (32-bit) window; on Xvfb such a window stays black, so the
    # Composite extension, which provides that visual, is turned off and the window gets 24 bits.
    (0, 41): Flow(xvfb=["-extension", "Composite"], datasets=["dataset", "versions"],
                  clicks=[("2-segment-table.png", (92, 123), 12),  # the dataset, under the server in the left panel
                          ("3-segment.png", (250, 342), 30),  # the link icon of the fourth segment (no footer)
                          ("4-versions-table.png", (95, 171), 12),  # the second dataset, below the open segment
                          ("5-segment-with-footer.png", (249, 310), 30)],  # its third segment, written by 0.41.0
                  read_log="GetRrdManifest:", min_reads=2),
}


def main(out: Path) -> int:
    sdk = tuple(int(p) for p in version("rerun-sdk").split(".")[:2])
    if sdk not in FLOWS:
        print(f"no viewer flow for rerun-sdk {sdk}; known: {sorted(FLOWS)}")
        return 2
    flow = FLOWS[sdk]
    out.mkdir(parents=True, exist_ok=True)
    rerun = rerun_binary()
    display = ":97"
    # A home of its own: the viewer remembers the servers it saw, and would show stale ones.
    home = out / "home"
    env = dict(os.environ, DISPLAY=display, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"))
    subprocess.run([str(rerun), "analytics", "disable"], env=env, check=True, capture_output=True)
    procs = []
    try:
        server_log = open(out / "server.log", "w")
        served = [arg for name in flow.datasets for arg in ("-d", str(FIXTURES / name))]
        procs.append(subprocess.Popen(
            ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.log.io.rrdflight.server.redap=debug",
             "-jar", str(JAR), "server", "--port", "0", "--data-dir", str(out / "data"), *served],
            stdout=server_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", *flow.xvfb], stderr=subprocess.DEVNULL))
        port = None
        for _ in range(120):
            time.sleep(0.5)
            text = (out / "server.log").read_text()
            if "rrdflight ready" in text:
                port = int(text.split("listening on ")[1].split(":")[1].split()[0])
                break
        if port is None:
            print("server did not start:\n" + (out / "server.log").read_text())
            return 1
        procs.append(subprocess.Popen([str(rerun), "--renderer", "vulkan", f"rerun+http://127.0.0.1:{port}"], env=env,
                                      stdout=open(out / "viewer.log", "w"), stderr=subprocess.STDOUT))

        def shot(name: str, wait: float) -> None:
            time.sleep(wait)
            subprocess.run(["import", "-window", "root", str(out / name)], env=env, check=True)
            print("screenshot", out / name)

        shot("1-entries.png", 20)
        for name, (x, y), wait in flow.clicks:
            # Hover first: the 0.41 viewer's links react to a click only once the pointer rests on them.
            subprocess.run(["xdotool", "mousemove", str(x), str(y), "sleep", "1", "click", "1"], env=env, check=True)
            shot(name, wait)
        reads = [line for line in (out / "server.log").read_text().splitlines() if flow.read_log in line]
        print("\n".join(reads))
        return 0 if len(reads) >= flow.min_reads else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "viewer-smoke")))
