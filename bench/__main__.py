"""``python -m bench``: run every benchmark and append the results to bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def machine_facts() -> str:
    """Cores, memory and Docker version of this machine, for the results row."""
    mem_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    docker = shutil.which("docker")
    docker_version = (
        subprocess.run([docker, "version", "--format", "{{.Server.Version}}"],
                       capture_output=True, text=True).stdout.strip()
        if docker else "absent"
    )
    return (f"{os.cpu_count()} cores, {mem_kib // 1024 // 1024} GiB, "
            f"Python {platform.python_version()}, Docker {docker_version or 'unreachable'}")


def render_build_times() -> tuple[float, float]:
    """Wall time of a cold render build and of a second one with nothing changed."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-n",
               str(ROOT), f"{tmp}/html"]
        env = {**os.environ, "DEPLOYDOCS_MODE": "render"}
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env=env)
            times.append(time.perf_counter() - start)
    return times[0], times[1]


def append_row(line: str) -> None:
    """Append one result line to RESULTS.md, creating it with a header if needed."""
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nNewest last. Each row: date, machine, result.\n\n"
        )
    with RESULTS.open("a") as fh:
        fh.write(line + "\n")


def main() -> None:
    """Run the benchmarks and record them."""
    today = dt.date.today().isoformat()
    facts = machine_facts()
    cold, warm = render_build_times()
    row = (f"- {today} · {facts} · render build: cold {cold:.1f} s, "
           f"nothing changed {warm:.1f} s (ratio {cold / warm:.1f}x)")
    print(row)
    append_row(row)


if __name__ == "__main__":
    main()
