"""Cost of one command: a persistent session versus one ``docker exec`` per command.

``python -m bench.session [--name LAB] [--count 200]`` needs the docker lab up
(``python -m tools lab up``). It runs the same trivial command (``true``)
*count* times on node1 both ways, in the same run, and prints median and
95th percentile of each and their ratio. It also times a bare pipe round trip
to a local bash, the floor a session can approach. It appends a dated row to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable

from bench.results import append_row, machine_facts
from tools.lab.backends.docker import DockerLab
from tools.lab.session import Session


def timings(run: Callable[[], object], count: int) -> list[float]:
    """Seconds taken by each of *count* calls of *run*."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main() -> None:
    """Measure and print both ways, then record the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="deploydocs.lab")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    lab = DockerLab(args.name)
    if not lab.is_up():
        raise SystemExit(f"lab {args.name} is not up: run `python -m tools lab up` first")
    host = lab.hosts()["node1"]

    def check(result: object) -> None:
        if not result.ok:  # type: ignore[attr-defined]
            raise SystemExit(f"a benchmark command failed: {result}")

    with Session(host, "bench") as session:
        check(session.run("true"))  # the shell is started outside the measurement
        in_session = timings(lambda: check(session.run("true")), args.count)
    per_exec = timings(lambda: check(host.run("true")), args.count)
    with Session(["bash", "--noprofile", "--norc"], "local") as local:
        local.run("true")
        local_pipe = timings(lambda: check(local.run("true")), args.count)

    s_med, s_p95 = summary(in_session)
    e_med, e_p95 = summary(per_exec)
    l_med, l_p95 = summary(local_pipe)
    lines = [
        f"{args.count} × `true` on node1",
        f"  session (one docker exec, commands over its pipe): median {s_med:.2f} ms, "
        f"p95 {s_p95:.2f} ms",
        f"  one docker exec per command:                      median {e_med:.2f} ms, "
        f"p95 {e_p95:.2f} ms",
        f"  local bash over a pipe (the floor):               median {l_med:.2f} ms, "
        f"p95 {l_p95:.2f} ms",
        f"  docker exec / session: {e_med / s_med:.1f}x (median), {e_p95 / s_p95:.1f}x (p95)",
    ]
    print("\n".join(lines))
    append_row(
        f"- {dt.date.today().isoformat()} · {machine_facts()} · session: {args.count} × true "
        f"on node1: session median {s_med:.2f} ms / p95 {s_p95:.2f} ms; docker exec per "
        f"command median {e_med:.2f} ms / p95 {e_p95:.2f} ms ({e_med / s_med:.1f}x); "
        f"local pipe median {l_med:.2f} ms"
    )


if __name__ == "__main__":
    main()
