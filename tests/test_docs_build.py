"""The render-mode site builds warning-free and never executes a lab command."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sphinx.cmd.build import build_main

# What a render build must never start: a container, a remote shell, or a
# shell (a lab host's, or the build machine's standing in for one).
FORBIDDEN_PROGRAMS = {"docker", "ssh", "sh", "bash", "dash", "rsync", "qemu-system-x86_64"}

_recorded: list[list[str]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _recorded is None:
        return
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if isinstance(argv, (str, bytes)):
            argv = [os.fsdecode(argv)]
        _recorded.append([os.fsdecode(executable or argv[0]), *map(os.fsdecode, argv)])
    elif event in ("os.system",):
        _recorded.append(shlex.split(os.fsdecode(args[0])))
    elif event in ("os.exec", "os.posix_spawn", "os.spawn"):
        _recorded.append([os.fsdecode(args[0]), *map(os.fsdecode, args[1] or [])])


sys.addaudithook(_audit)


@pytest.fixture()
def process_log() -> Iterator[list[list[str]]]:
    """Record every process started while the fixture is active."""
    global _recorded
    _recorded = []
    try:
        yield _recorded
    finally:
        _recorded = None


def build_render(repo_root: Path, out: Path) -> int:
    """Build the site in render mode with warnings as errors; return the exit code."""
    os.environ["DEPLOYDOCS_MODE"] = "render"
    return build_main(
        ["-b", "html", "-W", "--keep-going", "-n", "-q", "-E", "-d",
         str(out / "doctrees"), str(repo_root), str(out / "html")]
    )


@pytest.fixture(scope="module")
def rendered_build(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One render-mode build shared by the page assertions, run as ``make html`` runs it (a
    ``sphinx-build`` process, not quiet): the built site, and everything it printed on
    stdout and stderr, its jupyter kernels' output included."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "DEPLOYDOCS_MODE": "render"}
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-E",
         "-d", str(out / "doctrees"), str(repo_root), str(out / "html")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert done.returncode == 0, f"render build failed (warnings are errors):\n{done.stdout}"
    return out / "html", done.stdout


@pytest.fixture(scope="module")
def rendered_site(rendered_build: tuple[Path, str]) -> Path:
    """The site of the shared render build."""
    return rendered_build[0]


def test_a_render_build_prints_no_warning_of_any_origin(rendered_build: tuple[Path, str]) -> None:
    """Sphinx's own warnings fail the build (-W); this also catches what other programs
    print into its log, such as a jupyter kernel's start-up warnings."""
    log = rendered_build[1]
    assert "build succeeded" in log
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert warnings == []


@pytest.mark.parametrize(
    ("page", "title"),
    [
        ("index.html", "Deploying Django with vagga, lithos, cantal and verwalter"),
        ("tutorial/index.html", "Tutorial"),
        ("tutorial/what-you-build.html", "What you will build"),
        ("concepts/index.html", "Concepts"),
        ("howto/index.html", "How-to"),
        ("reference/index.html", "Reference"),
        ("reference/cli.html", "Command-line interface"),
        ("reference/verification.html", "Verification report"),
    ],
)
def test_render_build_has_page_with_title(rendered_site: Path, page: str, title: str) -> None:
    html = (rendered_site / page).read_text(encoding="utf-8")
    assert f"<h1>{title}" in html


def test_api_reference_documents_tools(rendered_site: Path) -> None:
    html = (rendered_site / "reference/api/tools/tools.machine_id.html").read_text()
    assert "generate_machine_id" in html


def test_jupyter_cell_executed_at_build_time(rendered_site: Path) -> None:
    html = (rendered_site / "tutorial/what-you-build.html").read_text()
    assert "32 True" in html


def test_render_mode_starts_no_lab_process(
    repo_root: Path, tmp_path: Path, process_log: list[list[str]]
) -> None:
    assert build_render(repo_root, tmp_path) == 0
    offenders = [
        argv for argv in process_log
        if Path(argv[0]).name in FORBIDDEN_PROGRAMS
        or any(Path(a).name in FORBIDDEN_PROGRAMS for a in argv[1:2])
    ]
    assert offenders == [], f"render mode started lab processes: {offenders}"
    # The audit hook really sees process creation: the jupyter kernel is one.
    assert any("ipykernel" in " ".join(argv) for argv in process_log)
