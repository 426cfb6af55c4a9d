"""The real Rerun viewer (0.27.3, from the rerun-sdk wheel) browsing rrdflight, with screenshots.

Not a pytest test: it needs an X server (Xvfb), xdotool, ImageMagick's `import` and a software
Vulkan driver (mesa-vulkan-drivers), which CI machines lack. Run it by hand:

    apt-get install xvfb xdotool imagemagick mesa-vulkan-drivers
    .venv/bin/python flight-server/src/test/python/viewer_smoke.py OUT_DIR

It serves fixtures/dataset with `-d`, opens the viewer on the server's URL, and takes three
screenshots: the landing page (the `__entries` table), the dataset's partition table (after a click
on the dataset), and one recording (after a click on its "Open" link). The server logs each
QueryDataset at debug level, which shows the viewer's two-phase fetch (static, then temporal).
Clicks are at fixed positions of a 1600x1000 screen with the viewer's default layout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FIXTURES, JAR, rerun_binary  # noqa: E402


def main(out: Path) -> int:
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
        procs.append(subprocess.Popen(
            ["java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dorg.slf4j.simpleLogger.log.io.rrdflight.server.redap=debug",
             "-jar", str(JAR), "server", "--port", "0", "--data-dir", str(out / "data"), "-d", str(FIXTURES / "dataset")],
            stdout=server_log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24"], stderr=subprocess.DEVNULL))
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

        def click(x: int, y: int) -> None:
            subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], env=env, check=True)

        shot("1-entries.png", 20)
        click(87, 88)  # the dataset, under the server in the left panel
        shot("2-partition-table.png", 6)
        click(395, 227)  # "Open" on the fourth partition
        shot("3-recording.png", 10)
        queries = [line for line in (out / "server.log").read_text().splitlines() if "QueryDataset:" in line]
        print("\n".join(queries))
        return 0 if len(queries) >= 2 else 1
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "viewer-smoke")))
