"""``python -m bench [NAME ...]``: run benchmarks and append dated rows to bench/RESULTS.md.

Names: ``session`` (per-command cost: persistent session, one ``docker exec`` per command,
one ``ssh`` per command), ``render`` (render build cold and with nothing changed), ``labup``
(``lab up`` with the base image cached; ``--cold`` also from nothing cached), ``verify`` (full
tutorial verify on a fresh lab, then again with nothing changed; ``--lab qemu`` on the qemu
VMs instead of the docker nodes; ``--compare-serial`` serial against parallel; ``--tools-dir
DIR`` with real binaries on the lab), ``validators`` (files per
second against a plain YAML parse), ``cli`` (``python -m tools --help`` against a bare
``python -c 'import click'``), ``validate`` (``validate`` of a verwalter tree against the
same floor). No name runs them all. Each benchmark measures both sides
in the same run and reports their ratio. Labs used here are named ``deploydocs.lab-bench*`` so
they never disturb a lab someone else is using.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.results import ROOT, append_row, machine_facts

BENCH_LAB = "deploydocs.lab-bench"
NAMES = ("session", "render", "labup", "verify", "validators", "cli", "validate")


def record(result: str) -> None:
    """Print *result* and append it as a dated row with the machine facts."""
    row = f"- {dt.date.today().isoformat()} · {machine_facts()} · {result}"
    print(row, flush=True)
    append_row(row)


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# -- session -------------------------------------------------------------------------------
def bench_session(count: int, lab_name: str) -> None:
    """Per-command cost: a session against one docker exec and one ssh per command."""
    from bench.session import summary, timings
    from tools.inventory import load_inventory
    from tools.lab.backends.ssh import docker_lab_inventory, ssh_hosts
    from tools.lab.lab import open_lab
    from tools.lab.session import Session

    lab = open_lab("docker", name=lab_name, progress=lambda line: None)

    def check(result: object) -> None:
        if not result.ok:  # type: ignore[attr-defined]
            raise SystemExit(f"a benchmark command failed: {result}")

    host = lab.hosts["node1"]
    ssh_host = ssh_hosts(load_inventory(docker_lab_inventory(lab_name)))["node1"]
    try:
        with Session(host, "bench") as session:
            check(session.run("true"))  # the shell starts outside the measurement
            in_session = timings(lambda: check(session.run("true")), count)
        per_exec = timings(lambda: check(host.run("true")), count)
        check(ssh_host.run("true"))  # the ControlMaster connection opens outside it
        per_ssh = timings(lambda: check(ssh_host.run("true")), count)
    finally:
        ssh_host.close()
        lab.close()
    s_med, s_p95 = summary(in_session)
    e_med, e_p95 = summary(per_exec)
    h_med, h_p95 = summary(per_ssh)
    record(f"session: {count} × true on node1 of {lab_name}: session median {s_med:.2f} ms / "
           f"p95 {s_p95:.2f} ms; docker exec per command median {e_med:.2f} ms / p95 "
           f"{e_p95:.2f} ms ({e_med / s_med:.1f}x median, {e_p95 / s_p95:.1f}x p95); ssh per "
           f"command (OpenSSH ControlMaster, proxied by docker exec nc) median {h_med:.2f} ms / "
           f"p95 {h_p95:.2f} ms ({h_med / s_med:.1f}x median, {h_p95 / s_p95:.1f}x p95)")


# -- render --------------------------------------------------------------------------------
RENDER_EDITED_PAGE = "tutorial/lithos.rst"


def _make_html_options() -> list[str]:
    """The options ``make html`` gives sphinx-build (its recipe, as ``make -n`` prints it),
    without the source and output directories."""
    import shlex

    printed = subprocess.run(["make", "-n", "-s", "html"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    line = next(line for line in printed.splitlines() if "sphinx-build" in line)
    words = shlex.split(line)
    first = next(i for i, word in enumerate(words) if word.endswith("sphinx-build")) + 1
    return words[first:-2]


def _render_build(src: Path, out: Path, options: list[str]) -> tuple[float, float, int]:
    """One render build of *src* into *out*: wall seconds, CPU seconds (all its processes)
    and exit status."""
    import resource

    env = {**os.environ, "DEPLOYDOCS_MODE": "render"}
    cmd = [sys.executable, "-m", "sphinx", *options, "-d", str(out / "doctrees"), str(src),
           str(out / "html")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def _edit_page(page: Path) -> None:
    """A small edit: one more paragraph at the end of *page* (its mtime moves too)."""
    page.write_text(page.read_text(encoding="utf-8") + "\nA paragraph the benchmark adds.\n",
                    encoding="utf-8")


def _render_part(label: str, timing: tuple[float, float, int]) -> str:
    wall, cpu, status = timing
    failed = f", exit {status}" if status else ""
    return f"{label} {wall:.1f} s (CPU {cpu:.1f} s{failed})"


def bench_render() -> None:
    """Render builds of a copy of the sources, with ``make html``'s options: from nothing
    generated (no API pages, as after ``make clean``), cold (a fresh output directory, the API
    pages there), with nothing changed, and with one tutorial page edited."""
    options = _make_html_options()
    with tempfile.TemporaryDirectory() as tmp:
        src = _copy_site(Path(tmp) / "src")
        shutil.rmtree(src / "reference" / "api", ignore_errors=True)
        clean = _render_build(src, Path(tmp) / "clean", options)
        out = Path(tmp) / "out"
        cold = _render_build(src, out, options)
        unchanged = _render_build(src, out, options)
        _edit_page(src / RENDER_EDITED_PAGE)
        edited = _render_build(src, out, options)
    parts = [_render_part("cold", cold), _render_part("nothing changed", unchanged),
             _render_part(f"{RENDER_EDITED_PAGE} edited", edited),
             _render_part("cold from nothing generated (API pages too, as after make clean)",
                          clean)]
    record(f"render build (`sphinx-build {' '.join(options)}` as make html, copy of the "
           f"sources): {'; '.join(parts)} (goals: cold <= 15 s, nothing changed <= 2 s, one "
           f"page edited <= 3 s; {os.cpu_count()} cores)")


# -- lab up --------------------------------------------------------------------------------
def _lab_up(name: str, nodes: int = 3) -> float:
    cmd = [sys.executable, "-m", "tools", "lab", "up", "--name", name, "--nodes", str(nodes)]
    if os.environ.get("DEPLOYDOCS_TOOLS_DIR"):
        cmd += ["--tools-dir", os.environ["DEPLOYDOCS_TOOLS_DIR"]]
    return _timed(lambda: subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True))


def _lab_down(name: str, backend: str = "docker") -> None:
    subprocess.run([sys.executable, "-m", "tools", "lab", "down", "--backend", backend,
                    "--name", name], cwd=ROOT, capture_output=True, check=True)


def bench_labup(cold: bool) -> None:
    """``lab up``: cold (--cold: no base image), image cached, already up, 3 against 6 nodes."""
    name = f"{BENCH_LAB}-up"
    parts = []
    _lab_down(name)
    if cold:
        subprocess.run([sys.executable, "-m", "tools", "lab", "reap", "--images"], cwd=ROOT,
                       check=True, capture_output=True)
        left = subprocess.run(["docker", "images", "-q", "--filter", "label=deploydocs.lab"],
                              capture_output=True, text=True, check=True).stdout.split()
        if left:
            raise SystemExit("labup --cold: lab images are still in use by a running lab "
                             "(docker ps --filter label=deploydocs.lab); bring it down first")
        cold_time = _lab_up(name)
        _lab_down(name)
    three = _lab_up(name, 3)
    again = _lab_up(name, 3)
    _lab_down(name)
    six = _lab_up(name, 6)
    _lab_down(name)
    parts.append(f"lab up, image cached: 3 nodes from nothing running {three:.1f} s, "
                 f"already up {again:.1f} s (ratio {three / again:.1f}x)")
    parts.append(f"6 nodes from nothing running {six:.1f} s ({six / three:.2f}x the 3-node "
                 f"time for 2x the nodes; per node {three / 3:.1f} s with 3, "
                 f"{six / 6:.1f} s with 6)")
    if cold:
        parts.append(f"nothing cached (debootstrap of the base and node images; lithos binary "
                     f"cache kept) 3 nodes {cold_time:.1f} s ({cold_time / three:.1f}x the "
                     f"cached one)")
    record("; ".join(parts))


# -- verify --------------------------------------------------------------------------------
def _copy_site(dest: Path) -> Path:
    """A copy of the site's sources, so verify's records never touch the repository."""
    ignore = shutil.ignore_patterns(".git", ".venv", "_build", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".ruff_cache", ".hypothesis")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _verify(src: Path, out: Path, lab_name: str, backend: str = "docker", *,
            serial: bool = False) -> tuple[float, str, int]:
    env = {**os.environ, "DEPLOYDOCS_MODE": "verify", "DEPLOYDOCS_SERIAL": "1" if serial else "",
           "DEPLOYDOCS_LAB": "bench.lablink:open_bench_lab", "DEPLOYDOCS_BENCH_LAB": lab_name,
           "DEPLOYDOCS_BENCH_BACKEND": backend,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out / "html"),
           "-d", str(out / "doctrees")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=src)
    elapsed = time.perf_counter() - start
    summary_file = out / "html" / "deploydocs" / "summary.txt"
    summary = (summary_file.read_text().strip().replace("\n", " / ") if summary_file.exists()
               else f"no summary (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return elapsed, summary.replace(f"{src}/", ""), proc.returncode


def junit_blocks(junit: str) -> list[tuple[str, list[str], float]]:
    """The blocks of a verify's JUnit XML: ``(file:line, hosts, seconds)`` each.

    A testcase is named ``line N KIND HOST...``; in a serial run a multi-host block's time is
    the sum of its hosts' turns.

    >>> junit_blocks('<testsuites><testsuite><testcase name="line 9 run node1 node2" '
    ...              'time="6.0" file="b.rst" line="9"/></testsuite></testsuites>')
    [('b.rst:9', ['node1', 'node2'], 6.0)]
    """
    import xml.etree.ElementTree as ET

    return [(f"{case.get('file')}:{case.get('line')}", case.get("name", "").split()[3:],
             float(case.get("time") or 0)) for case in ET.fromstring(junit).iter("testcase")]


def block_seconds(blocks: list[tuple[str, list[str], float]]) -> tuple[float, float, float]:
    """Seconds spent in single-host blocks, in multi-host blocks, and what the multi-host
    ones would take if every host's share ran at once (each block's time divided by its
    hosts).

    >>> block_seconds([("a.rst:1", ["node1"], 2.0), ("b.rst:9", ["node1", "node2"], 6.0)])
    (2.0, 6.0, 3.0)
    """
    single = sum(seconds for _, hosts, seconds in blocks if len(hosts) < 2)
    multi = sum(seconds for _, hosts, seconds in blocks if len(hosts) > 1)
    shared = sum(seconds / len(hosts) for _, hosts, seconds in blocks if len(hosts) > 1)
    return single, multi, shared


def longest_blocks(blocks: list[tuple[str, list[str], float]], count: int = 3) -> list[str]:
    """The *count* longest *blocks*, as ``file:line on host... (N s)``.

    >>> longest_blocks([("a.rst:1", ["node1"], 2.0), ("b.rst:9", ["node1", "node2"], 6.0)], 1)
    ['b.rst:9 on node1 node2 (6 s)']
    """
    ranked = sorted(blocks, key=lambda block: block[2], reverse=True)[:count]
    return [f"{where} on {' '.join(hosts)} ({seconds:.0f} s)" for where, hosts, seconds in ranked]


def bench_verify(backend: str = "docker") -> None:
    """The full tutorial verified on a fresh lab, then again with nothing changed.

    *backend* ``qemu`` verifies on the VMs of a qemu lab (its own name, so no lab of
    someone else is touched); the row then says which acceleration the VMs had.
    """
    name = f"{BENCH_LAB}-verify" + ("" if backend == "docker" else f"-{backend}")
    _lab_down(name, backend)
    with tempfile.TemporaryDirectory() as tmp:
        src = _copy_site(Path(tmp) / "src")
        out = Path(tmp) / "out"
        first, first_summary, first_rc = _verify(src, out, name, backend)
        where = _lab_description(name, backend) + _tools_description()
        second, second_summary, second_rc = _verify(src, out, name, backend)
    _lab_down(name, backend)
    record(f"tutorial verify{where}: fresh lab (lab up included) {first:.1f} s, exit {first_rc}, "
           f"summary: {first_summary}; nothing changed {second:.1f} s, exit {second_rc}, "
           f"blocks re-run: {blocks_rerun(second_summary)}, summary: {second_summary} "
           f"(ratio {first / second:.1f}x)")


def bench_verify_serial(backend: str = "docker") -> None:
    """The tutorial verified twice, each time on a fresh lab brought up beforehand: its
    multi-host blocks' hosts one after the other (``DEPLOYDOCS_SERIAL=1``), then at once.

    Only the verify builds are timed (not the lab up before each); goal: parallel at most
    0.7 times serial.
    """
    name = f"{BENCH_LAB}-verify" + ("" if backend == "docker" else f"-{backend}")
    parts = []
    times = {}
    bound = ""
    for serial in (True, False):
        _lab_down(name, backend)
        if backend == "docker":
            _lab_up(name)
        with tempfile.TemporaryDirectory() as tmp:
            src = _copy_site(Path(tmp) / "src")
            took, summary, rc = _verify(src, Path(tmp) / "out", name, backend, serial=serial)
            junit = Path(tmp) / "out" / "html" / "deploydocs" / "junit.xml"
            if serial and junit.exists():
                blocks = junit_blocks(junit.read_text(encoding="utf-8"))
                single, multi, shared = block_seconds(blocks)
                best = took - multi + shared
                bound = (f"; bound: of the serial run, {multi:.0f} s were multi-host blocks and "
                         f"{single:.0f} s single-host blocks, the rest ({took - single - multi:.0f}"
                         f" s) the build itself; with every multi-host block's hosts perfectly "
                         f"at once the run would take {best:.0f} s, "
                         f"{best / took:.2f}x serial; the longest blocks: "
                         f"{', '.join(longest_blocks(blocks))}")
        times[serial] = took
        label = "serial (DEPLOYDOCS_SERIAL=1)" if serial else "parallel"
        parts.append(f"{label} {took:.1f} s, exit {rc}, summary: {summary}")
    where = _lab_description(name, backend) + _tools_description()
    _lab_down(name, backend)
    record(f"tutorial verify{where}, multi-host blocks serial vs parallel, each on a fresh lab "
           f"(lab up not timed): {'; '.join(parts)} (parallel/serial "
           f"{times[False] / times[True]:.2f}x; goal <= 0.7x{bound})")


def _lab_description(name: str, backend: str) -> str:
    """`` on qemu VMs (<accel>, ...)`` for a qemu lab, empty for docker."""
    if backend != "qemu":
        return ""
    from tools.lab.backends.qemu import MEMORY_MB, QemuLab

    accel = QemuLab(name).record().get("accel", "unknown acceleration")
    return f" on qemu VMs (3 VMs, {accel}, 1 vCPU / {MEMORY_MB} MiB each)"


def _tools_description() -> str:
    """`` with the real tools in DIR`` when ``--tools-dir`` gave the lab real binaries."""
    tools_dir = os.environ.get("DEPLOYDOCS_TOOLS_DIR")
    return f" with the real tools in {tools_dir}" if tools_dir else ""


def blocks_rerun(summary: str) -> int | str:
    """Blocks that ran again rather than coming from the cache, read off a verify summary.

    >>> blocks_rerun("deploydocs verify: 91 passed (91 from cache), 0 failed, 27 not run (x)")
    0
    >>> blocks_rerun("deploydocs verify: 84 passed (83 from cache), 1 failed, 33 not run")
    2
    """
    import re

    match = re.search(r"(\d+) passed(?: \((\d+) from cache\))?, (\d+) failed", summary)
    if not match:
        return "unknown (no summary)"
    passed, cached, failed = (int(group or 0) for group in match.groups())
    return passed - cached + failed


# -- validators ----------------------------------------------------------------------------
def _corpus(root: Path, variants: int) -> list[tuple[Path, str]]:
    """Generated lithos configs, and mutated copies of them (bad values, broken YAML)."""
    from tools.lithos.generate import DjangoParams, generate_files

    kinds = {"master.yaml": "lithos-master", "sandboxes": "lithos-sandbox",
             "processes": "lithos-process", "config": "lithos-container"}
    mutations: list[Callable[[str], str]] = [
        lambda text: text,
        lambda text: text.replace("8000", "-1").replace("256Mi", "lots"),
        lambda text: text + "unknown-key: 1\n",
        lambda text: text.replace(":", "", 1),
    ]
    files = []
    for i in range(variants):
        params = DjangoParams(sandbox=f"app{i}", port=8000 + i, instances=1 + i % 3,
                              workers=1 + i % 4, image=f"django-deploy.{i:08x}")
        mutate = mutations[i % len(mutations)]
        tree = root / f"tree{i}"
        for rel, text in generate_files(params).items():
            path = tree / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(mutate(text))
            files.append((path, kinds[rel.split("/")[0]]))
    return files


def bench_validators(variants: int = 50) -> None:
    """Files per second of the validators against a plain ruamel.yaml / PyYAML parse."""
    import yaml
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError as RuamelError

    from tools.validate import validate_path

    with tempfile.TemporaryDirectory() as tmp:
        files = _corpus(Path(tmp), variants)
        problems = 0

        def validate_all() -> None:
            nonlocal problems
            problems = sum(len(validate_path(path, kind)) for path, kind in files)

        def ruamel_all() -> None:
            loader = YAML(typ="rt")
            for path, _kind in files:
                with contextlib.suppress(RuamelError):
                    loader.load(path.read_text())

        def pyyaml_all() -> None:
            for path, _kind in files:
                with contextlib.suppress(yaml.YAMLError):
                    yaml.safe_load(path.read_text())

        validate_all()  # imports and caches warm outside the measurement
        t_val, t_rua, t_py = _timed(validate_all), _timed(ruamel_all), _timed(pyyaml_all)
    n = len(files)
    record(f"validators: {n} generated lithos configs ({variants} trees, 3 of 4 mutated: bad "
           f"values, unknown key, broken YAML; {problems} problems found): validators "
           f"{n / t_val:.0f} files/s, plain ruamel.yaml round-trip parse {n / t_rua:.0f} "
           f"files/s ({t_val / t_rua:.1f}x slower), PyYAML safe_load {n / t_py:.0f} files/s "
           f"({t_val / t_py:.1f}x slower)")


# -- cli -----------------------------------------------------------------------------------
def _alternating_medians(sides: dict[str, list[str]], runs: int, cwd: Path) -> list[float]:
    """Run each command of *sides* in turn, *runs* times round (after one warm-up run
    each, for the page cache and the .pyc files), so a change of load hits every side
    alike; return the median seconds of each, in the order of *sides*."""
    import statistics

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for argv in sides.values():
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    for _ in range(runs):
        for name, argv in sides.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
    return [statistics.median(times[name]) for name in sides]


def bench_validate(runs: int = 15) -> None:
    """``python -m tools validate`` of the scaffolded verwalter tree (its scheduler run
    once, its templates scanned), against a bare ``python -c 'import click'``, alternating,
    *runs* times each; goal: the tree in 0.3 s or less."""
    from tools.verwalter.tree import scaffold_tree

    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "verwalter"
        scaffold_tree(tree, image="django-deploy.01234567")
        validate_s, click_s = _alternating_medians(
            {"validate": [sys.executable, "-m", "tools", "validate", str(tree)],
             "click": [sys.executable, "-c", "import click"]}, runs, ROOT)
    record(f"validate a verwalter tree (scaffold: scheduler run once, 1 template, 1 render "
           f"file): median {validate_s * 1000:.0f} ms, bare `python -c 'import click'` median "
           f"{click_s * 1000:.0f} ms (ratio {validate_s / click_s:.2f}x, {runs} alternating "
           f"runs each; goal: the tree in 300 ms or less)")


def bench_cli(runs: int = 15, python: str = "") -> None:
    """Start-up of ``python -m tools --help``, against the floor every click program pays:
    a fresh interpreter that imports click. Both sides run alternately, *runs* times each,
    in the same loop, so a load change hits both; the medians and their ratio are kept.

    With *python* (a venv's interpreter with the deploydocs-tools distribution), the
    installed ``python -m deploydocs_tools --help`` is measured instead, from a directory
    outside the checkout."""
    interpreter, module = (python, "deploydocs_tools") if python else (sys.executable, "tools")
    cwd = Path(tempfile.gettempdir()) if python else ROOT
    help_s, click_s = _alternating_medians(
        {"help": [interpreter, "-m", module, "--help"],
         "click": [interpreter, "-c", "import click"]}, runs, cwd)
    version = subprocess.run([interpreter, "-c", "import platform; print(platform."
                              "python_version())"], capture_output=True, text=True).stdout.strip()
    where = f" (installed distribution, Python {version})" if python else ""
    record(f"cli start-up{where}: `python -m {module} --help` median {help_s * 1000:.0f} ms, bare "
           f"`python -c 'import click'` median {click_s * 1000:.0f} ms (ratio "
           f"{help_s / click_s:.2f}x, {runs} alternating runs each; goal: --help under 150 ms)")


def main(argv: list[str] | None = None) -> None:
    """Run the chosen benchmarks (all by default) and record them."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"one or more of: {', '.join(NAMES)} (default: all)")
    parser.add_argument("--cold", action="store_true",
                        help="labup: also from nothing cached (debootstrap, ~4 minutes)")
    parser.add_argument("--count", type=int, default=200, help="session: commands per side")
    parser.add_argument("--cli-python", default="", metavar="PYTHON",
                        help="cli: a venv's python with deploydocs-tools installed, to time "
                             "the installed package instead of the checkout's")
    parser.add_argument("--compare-serial", action="store_true",
                        help="verify: instead, the tutorial on a fresh lab twice, multi-host "
                             "blocks serial then parallel (DEPLOYDOCS_SERIAL)")
    parser.add_argument("--lab", choices=("docker", "qemu"), default="docker",
                        help="verify: the lab backend the tutorial runs on (default docker)")
    parser.add_argument("--tools-dir", default="", metavar="DIR",
                        help="labup, verify: a directory of real binaries (cantal-agent, "
                             "verwalter, ...) installed on the lab, as make verify TOOLS_DIR=")
    args = parser.parse_args(argv)
    if args.tools_dir:
        os.environ["DEPLOYDOCS_TOOLS_DIR"] = str(Path(args.tools_dir).resolve())
    unknown = [name for name in args.names if name not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(NAMES)})")
    chosen = args.names or list(NAMES)
    for name in chosen:
        if name == "session":
            bench_session(args.count, BENCH_LAB)
        elif name == "render":
            bench_render()
        elif name == "labup":
            bench_labup(args.cold)
        elif name == "verify" and args.compare_serial:
            bench_verify_serial(args.lab)
        elif name == "verify":
            bench_verify(args.lab)
        elif name == "validators":
            bench_validators()
        elif name == "cli":
            bench_cli(python=args.cli_python)
        elif name == "validate":
            bench_validate()
    if "session" in chosen:
        _lab_down(BENCH_LAB)


if __name__ == "__main__":
    main()
