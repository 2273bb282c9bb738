"""Where benchmark results go: one dated row per run in bench/RESULTS.md, with the
facts of the machine that ran it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
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
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"{os.cpu_count()} cores, {mem_kib // 1024 // 1024} GiB, "
            f"Python {platform.python_version()}, Docker {docker_version or 'unreachable'}, "
            f"load {load} at the end")


def append_row(line: str) -> None:
    """Append one result line to RESULTS.md, creating it with a header if needed."""
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nNewest last. Each row: date, machine, result.\n\n"
        )
    with RESULTS.open("a") as fh:
        fh.write(line + "\n")
